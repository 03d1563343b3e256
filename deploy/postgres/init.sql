-- Runs once, when the postgres container starts on an empty data directory
-- (docker-compose.yml mounts it into /docker-entrypoint-initdb.d as POSTGRES_USER "ombuds").
-- Each service owns its database; Temporal gets its store and its visibility store.

CREATE DATABASE ombuds_intake;
CREATE DATABASE ombuds_cases;
CREATE DATABASE ombuds_referrals;
CREATE DATABASE ombuds_notifications;

CREATE DATABASE temporal;
CREATE DATABASE temporal_visibility;

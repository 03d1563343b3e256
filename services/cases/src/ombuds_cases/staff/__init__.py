"""Staff accounts, least-privilege roles and sign-in (issue 4, PIA 8.1-8.3)."""

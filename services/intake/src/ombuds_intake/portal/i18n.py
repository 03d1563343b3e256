"""The portal's own words in English and Spanish; field labels come from the form definition."""

from dataclasses import dataclass
from typing import Literal

Language = Literal["en", "es"]
LANGUAGES: tuple[Language, ...] = ("en", "es")
DEFAULT_LANGUAGE: Language = "en"
LANGUAGE_NAMES: dict[Language, str] = {"en": "English", "es": "Español"}

STRINGS: dict[str, dict[Language, str]] = {
    "site_name": {"en": "Ombuds", "es": "Ombuds"},
    "skip_to_main": {"en": "Skip to main content", "es": "Saltar al contenido principal"},
    "nav_label": {"en": "Main", "es": "Principal"},
    "nav_home": {"en": "Home", "es": "Inicio"},
    "nav_submit": {"en": "Send feedback", "es": "Enviar comentarios"},
    "nav_status": {"en": "Check a status", "es": "Consultar el estado"},
    "language_label": {"en": "Language", "es": "Idioma"},
    "footer_text": {
        "en": "Ombuds takes compliments, questions, complaints, tips and comments from the public.",
        "es": "Ombuds recibe elogios, preguntas, quejas, denuncias y comentarios del público.",
    },
    "error_title_prefix": {"en": "Error", "es": "Error"},
    # Landing page
    "home_title": {
        "en": "Send a compliment, question, complaint, tip or comment",
        "es": "Envíe un elogio, una pregunta, una queja, una denuncia o un comentario",
    },
    "home_intro": {
        "en": "Tell us about your experience. Each submission gets a control number, and we "
        "carry it as a case until it is resolved. Choose a category and we will ask only "
        "what that category needs.",
        "es": "Cuéntenos su experiencia. Cada envío recibe un número de control y lo "
        "tramitamos como un caso hasta su resolución. Elija una categoría y solo le "
        "preguntaremos lo que esa categoría necesita.",
    },
    "home_anonymous": {
        "en": "You may send a submission anonymously. An anonymous submission needs no "
        "personal information, but it gets no response.",
        "es": "Puede hacer un envío de forma anónima. Un envío anónimo no requiere datos "
        "personales, pero no recibe respuesta.",
    },
    "home_start": {"en": "Start a submission", "es": "Comenzar un envío"},
    "home_status": {
        "en": "Already sent one? Check its status with your control number.",
        "es": "¿Ya hizo un envío? Consulte su estado con su número de control.",
    },
    "privacy_heading": {"en": "Privacy Act Statement", "es": "Declaración de la Ley de Privacidad"},
    # Step 1
    "start_title": {"en": "Start your submission", "es": "Comience su envío"},
    "start_intro": {
        "en": "Read the Privacy Act Statement below, then tell us what kind of submission "
        "this is and what it is about.",
        "es": "Lea la Declaración de la Ley de Privacidad a continuación y luego indíquenos "
        "qué tipo de envío es y de qué se trata.",
    },
    "kind_legend": {"en": "What kind of submission is this?", "es": "¿Qué tipo de envío es?"},
    "category_legend": {"en": "What is it about?", "es": "¿De qué se trata?"},
    "anonymous_legend": {"en": "Anonymous submission", "es": "Envío anónimo"},
    "anonymous_label": {
        "en": "Send this anonymously",
        "es": "Enviar de forma anónima",
    },
    "anonymous_hint": {
        "en": "We will not ask for your name or contact details, and you will get no "
        "response: we will have no way to reach you.",
        "es": "No le pediremos su nombre ni sus datos de contacto, y no recibirá respuesta: "
        "no tendremos forma de comunicarnos con usted.",
    },
    "privacy_ack_legend": {
        "en": "Privacy Act Statement",
        "es": "Declaración de la Ley de Privacidad",
    },
    "privacy_ack_label": {
        "en": "I have read and understood the Privacy Act Statement, and I am submitting "
        "this information voluntarily.",
        "es": "He leído y entendido la Declaración de la Ley de Privacidad y proporciono "
        "esta información de manera voluntaria.",
    },
    "continue": {"en": "Continue", "es": "Continuar"},
    "required_note": {
        "en": "A red asterisk (*) marks a required field.",
        "es": "Un asterisco rojo (*) indica un campo obligatorio.",
    },
    "required_abbr": {"en": "required", "es": "obligatorio"},
    # Step 2
    "form_title": {"en": "Tell us what happened", "es": "Cuéntenos qué sucedió"},
    "form_path": {"en": "Your choices", "es": "Sus opciones"},
    "form_kind": {"en": "Kind", "es": "Tipo"},
    "form_category": {"en": "Category", "es": "Categoría"},
    "form_change": {"en": "Change these choices", "es": "Cambiar estas opciones"},
    "form_anonymous_note": {
        "en": "This submission is anonymous: we do not ask for personal information and you "
        "will get no response.",
        "es": "Este envío es anónimo: no pedimos datos personales y no recibirá respuesta.",
    },
    "topic_label": {"en": "Topic", "es": "Tema"},
    "select_placeholder": {"en": "- Select -", "es": "- Seleccione -"},
    "date_hint": {"en": "For example: 2026-03-31", "es": "Por ejemplo: 2026-03-31"},
    "certify_legend": {"en": "Certification", "es": "Certificación"},
    "certify_label": {
        "en": "I certify that the information I have given is true and accurate.",
        "es": "Certifico que la información que he proporcionado es verdadera y exacta.",
    },
    "submit": {"en": "Send", "es": "Enviar"},
    "attachments_note": {
        "en": "Files cannot be attached on this page yet.",
        "es": "Todavía no se pueden adjuntar archivos en esta página.",
    },
    # Errors
    "error_summary_heading": {"en": "There is a problem", "es": "Hay un problema"},
    "err_kind": {
        "en": "Choose what kind of submission this is.",
        "es": "Elija qué tipo de envío es.",
    },
    "err_category": {"en": "Choose what it is about.", "es": "Elija de qué se trata."},
    "err_privacy_ack": {
        "en": "Confirm that you have read and understood the Privacy Act Statement.",
        "es": "Confirme que ha leído y entendido la Declaración de la Ley de Privacidad.",
    },
    "err_certify": {
        "en": "Certify that the information you have given is true and accurate.",
        "es": "Certifique que la información que ha proporcionado es verdadera y exacta.",
    },
    "err_missing": {"en": "Enter {label}.", "es": "Complete el campo «{label}»."},
    "err_missing_choice": {"en": "Choose {label}.", "es": "Elija una opción en «{label}»."},
    "err_missing_narrative": {
        "en": "Describe what happened.",
        "es": "Describa lo que sucedió.",
    },
    "err_too_short": {
        "en": "{label} must be at least {min} characters.",
        "es": "«{label}» debe tener al menos {min} caracteres.",
    },
    "err_too_long": {
        "en": "{label} must be {max} characters or fewer.",
        "es": "«{label}» debe tener {max} caracteres o menos.",
    },
    "err_pattern": {
        "en": "Enter a valid {label}.",
        "es": "Escriba un valor válido en «{label}».",
    },
    "err_email": {
        "en": "Enter an email address in the correct format, like name@example.com.",
        "es": "Escriba un correo electrónico con el formato correcto, como nombre@ejemplo.com.",
    },
    "err_date": {
        "en": "Enter {label} as a real date, like 2026-03-31.",
        "es": "Escriba una fecha real en «{label}», como 2026-03-31.",
    },
    "err_date_future": {
        "en": "{label} must be today or in the past.",
        "es": "«{label}» debe ser hoy o una fecha pasada.",
    },
    "err_choice": {
        "en": "Choose one of the options for {label}.",
        "es": "Elija una de las opciones de «{label}».",
    },
    "err_other": {"en": "Check {label}.", "es": "Revise «{label}»."},
    "forbidden_title": {
        "en": "This form could not be sent",
        "es": "No se pudo enviar este formulario",
    },
    "err_no_cookie": {
        "en": "This form could not be verified because your browser did not send its form "
        "cookie. Please allow cookies for this site, reload the page and send the form again.",
        "es": "No se pudo verificar este formulario porque su navegador no envió su cookie. "
        "Permita las cookies de este sitio, vuelva a cargar la página y envíe el formulario "
        "de nuevo.",
    },
    "err_not_verified": {
        "en": "This form could not be verified. Please reload the page and send the form again.",
        "es": "No se pudo verificar este formulario. Vuelva a cargar la página y envíe el "
        "formulario de nuevo.",
    },
    "err_expired": {
        "en": "This form has expired. Please reload the page and send the form again.",
        "es": "Este formulario ha caducado. Vuelva a cargar la página y envíe el formulario "
        "de nuevo.",
    },
    "err_not_accepted": {
        "en": "This form could not be accepted. Please reload the page and send the form again.",
        "es": "No se pudo aceptar este formulario. Vuelva a cargar la página y envíe el "
        "formulario de nuevo.",
    },
    "err_too_fast": {
        "en": "This form was sent too quickly after it was opened. Please go back, wait a "
        "moment and send it again.",
        "es": "Este formulario se envió demasiado rápido después de abrirse. Regrese, espere "
        "un momento y envíelo de nuevo.",
    },
    "go_back_start": {"en": "Start again", "es": "Comenzar de nuevo"},
    "not_found_title": {"en": "Page not found", "es": "Página no encontrada"},
    "not_found_text": {
        "en": "We could not find that page.",
        "es": "No encontramos esa página.",
    },
    # Confirmation
    "confirm_title": {"en": "Submission received", "es": "Envío recibido"},
    "confirm_number_label": {"en": "Your control number", "es": "Su número de control"},
    "confirm_keep": {
        "en": "Keep this number: it identifies your submission.",
        "es": "Guarde este número: identifica su envío.",
    },
    "confirm_next_heading": {"en": "What happens next", "es": "Qué sucede ahora"},
    "confirm_next": {
        "en": "We review every submission and open a case for it. We may refer it to the "
        "office best able to address it.",
        "es": "Revisamos cada envío y abrimos un caso para él. Es posible que lo remitamos a "
        "la oficina más adecuada para atenderlo.",
    },
    "confirm_email": {
        "en": "An acknowledgement with your control number is on its way to your email. You "
        "can check the status at any time with your control number and email address.",
        "es": "Le enviaremos a su correo electrónico un acuse de recibo con su número de "
        "control. Puede consultar el estado en cualquier momento con su número de control y "
        "su correo electrónico.",
    },
    "confirm_anonymous": {
        "en": "Your submission is anonymous, so you will get no response and no email. Keep "
        "your control number if you want to refer to this submission.",
        "es": "Su envío es anónimo, por lo que no recibirá respuesta ni correo electrónico. "
        "Guarde su número de control si desea hacer referencia a este envío.",
    },
    "confirm_status_link": {"en": "Check the status", "es": "Consultar el estado"},
    # Status
    "status_title": {
        "en": "Check the status of a submission",
        "es": "Consulte el estado de un envío",
    },
    "status_intro": {
        "en": "Enter the control number you received and the email address you gave. "
        "Anonymous submissions cannot be looked up.",
        "es": "Escriba el número de control que recibió y el correo electrónico que "
        "proporcionó. Los envíos anónimos no se pueden consultar.",
    },
    "status_number_label": {"en": "Control number", "es": "Número de control"},
    "status_number_hint": {
        "en": "For example: OMB-1A2B3-C4D5E-F",
        "es": "Por ejemplo: OMB-1A2B3-C4D5E-F",
    },
    "status_email_label": {"en": "Email address", "es": "Correo electrónico"},
    "status_lookup": {"en": "Look up", "es": "Consultar"},
    "status_err_number": {
        "en": "Enter your control number.",
        "es": "Escriba su número de control.",
    },
    "status_err_shape": {
        "en": "A control number looks like OMB-XXXXX-XXXXX-X: check the number and try again.",
        "es": "Un número de control tiene la forma OMB-XXXXX-XXXXX-X: revise el número e "
        "inténtelo de nuevo.",
    },
    "status_err_check": {
        "en": "This control number fails its check character: check the number for a typo.",
        "es": "Este número de control no pasa la verificación de su último carácter: revise "
        "si tiene un error de escritura.",
    },
    "status_err_email": {"en": "Enter your email address.", "es": "Escriba su correo electrónico."},
    "status_no_match": {
        "en": "No submission matches this control number and email address.",
        "es": "Ningún envío coincide con este número de control y este correo electrónico.",
    },
    "status_result_heading": {"en": "Status", "es": "Estado"},
    "status_received_at": {"en": "Received", "es": "Recibido"},
    "status_updated_at": {"en": "Last updated", "es": "Última actualización"},
    "status_received": {"en": "Received", "es": "Recibido"},
    "status_triage": {"en": "Under review", "es": "En revisión"},
    "status_withdrawn": {"en": "Withdrawn", "es": "Retirado"},
    "status_closed": {"en": "Closed", "es": "Cerrado"},
    "status_another": {"en": "Look up another", "es": "Consultar otro"},
    # Accounts
    "nav_sign_in": {"en": "Sign in", "es": "Iniciar sesión"},
    "nav_my_account": {"en": "My account", "es": "Mi cuenta"},
    "acct_name_label": {"en": "Full name", "es": "Nombre completo"},
    "acct_email_label": {"en": "Email address", "es": "Correo electrónico"},
    "acct_password_label": {"en": "Password", "es": "Contraseña"},
    "acct_password_hint": {
        "en": "At least 12 characters, and not your email address.",
        "es": "Al menos 12 caracteres, y que no sea su correo electrónico.",
    },
    "acct_register_title": {"en": "Create an account", "es": "Cree una cuenta"},
    "acct_register_intro": {
        "en": "With an account you can see every case you send while signed in, with its "
        "status and resolution, and add cases you sent by phone or mail.",
        "es": "Con una cuenta puede ver cada caso que envíe con la sesión iniciada, con su "
        "estado y su resolución, y añadir los casos que envió por teléfono o por correo postal.",
    },
    "acct_register_button": {"en": "Create account", "es": "Crear la cuenta"},
    "acct_have_account": {
        "en": "Already have an account? Sign in",
        "es": "¿Ya tiene una cuenta? Inicie sesión",
    },
    "acct_err_name_missing": {"en": "Enter your name.", "es": "Escriba su nombre."},
    "acct_err_name_too_long": {
        "en": "Your name must be 200 characters or fewer.",
        "es": "Su nombre debe tener 200 caracteres o menos.",
    },
    "acct_err_email_missing": {
        "en": "Enter your email address.",
        "es": "Escriba su correo electrónico.",
    },
    "acct_err_email_invalid": {
        "en": "Enter an email address in the correct format, like name@example.com.",
        "es": "Escriba un correo electrónico con el formato correcto, como nombre@ejemplo.com.",
    },
    "acct_err_email_too_long": {
        "en": "Your email address must be 320 characters or fewer.",
        "es": "Su correo electrónico debe tener 320 caracteres o menos.",
    },
    "acct_err_email_taken": {
        "en": "An account with this email address already exists: sign in instead.",
        "es": "Ya existe una cuenta con este correo electrónico: inicie sesión.",
    },
    "acct_err_password_missing": {"en": "Enter your password.", "es": "Escriba su contraseña."},
    "acct_err_password_too_short": {
        "en": "Your password must be at least 12 characters.",
        "es": "Su contraseña debe tener al menos 12 caracteres.",
    },
    "acct_err_password_too_long": {
        "en": "Your password must be 256 characters or fewer.",
        "es": "Su contraseña debe tener 256 caracteres o menos.",
    },
    "acct_err_password_is_email": {
        "en": "Your password cannot be your email address.",
        "es": "Su contraseña no puede ser su correo electrónico.",
    },
    "acct_verify_title": {
        "en": "Verify your email address",
        "es": "Verifique su correo electrónico",
    },
    "acct_verify_intro": {
        "en": "We sent a 6-digit code to {email}. Enter it below, or follow the link in the "
        "email. You can see your cases once your email address is verified.",
        "es": "Enviamos un código de 6 dígitos a {email}. Escríbalo a continuación o siga el "
        "enlace del correo. Podrá ver sus casos cuando su correo electrónico esté verificado.",
    },
    "acct_code_label": {"en": "Code from the email", "es": "Código del correo"},
    "acct_code_hint": {"en": "6 digits", "es": "6 dígitos"},
    "acct_verify_button": {"en": "Verify", "es": "Verificar"},
    "acct_resend_heading": {"en": "No email?", "es": "¿No recibió el correo?"},
    "acct_resend_button": {"en": "Send a new code", "es": "Enviar un código nuevo"},
    "acct_resent": {"en": "We sent a new code.", "es": "Enviamos un código nuevo."},
    "acct_err_code_missing": {
        "en": "Enter the code from the email.",
        "es": "Escriba el código del correo.",
    },
    "acct_err_code_wrong": {
        "en": "That code is wrong: check the email and try again.",
        "es": "Ese código no es correcto: revise el correo e inténtelo de nuevo.",
    },
    "acct_err_code_locked": {
        "en": "Too many wrong codes: ask for a new one.",
        "es": "Demasiados códigos incorrectos: pida uno nuevo.",
    },
    "acct_err_code_unavailable": {
        "en": "This code has expired or was already used: ask for a new one.",
        "es": "Este código ha caducado o ya se usó: pida uno nuevo.",
    },
    "acct_sign_in_title": {"en": "Sign in", "es": "Iniciar sesión"},
    "acct_sign_in_button": {"en": "Sign in", "es": "Iniciar sesión"},
    "acct_no_account": {
        "en": "No account yet? Create one",
        "es": "¿Aún no tiene una cuenta? Cree una",
    },
    "acct_err_wrong_credentials": {
        "en": "The email or password is wrong.",
        "es": "El correo electrónico o la contraseña no son correctos.",
    },
    "acct_err_locked": {
        "en": "Too many wrong passwords. Wait {minutes} minutes, then try again.",
        "es": "Demasiadas contraseñas incorrectas. Espere {minutes} minutos e inténtelo de nuevo.",
    },
    "acct_sign_out_title": {"en": "Sign out", "es": "Cerrar sesión"},
    "acct_sign_out_intro": {
        "en": "Signing out ends your session on every device.",
        "es": "Al cerrar sesión se cierra su sesión en todos sus dispositivos.",
    },
    "acct_sign_out_button": {"en": "Sign out", "es": "Cerrar sesión"},
    "acct_signed_out_title": {"en": "You are signed out", "es": "Ha cerrado sesión"},
    "acct_sign_in_again": {"en": "Sign in again", "es": "Volver a iniciar sesión"},
    "acct_cases_title": {"en": "My cases", "es": "Mis casos"},
    "acct_signed_in_as": {"en": "Signed in as {email}.", "es": "Sesión iniciada como {email}."},
    "acct_cases_empty": {
        "en": "You have no cases in your account yet. What you send while signed in appears "
        "here, and a case you sent by phone or mail can be added with its control number.",
        "es": "Todavía no tiene casos en su cuenta. Lo que envíe con la sesión iniciada "
        "aparece aquí, y un caso que envió por teléfono o por correo postal se puede añadir "
        "con su número de control.",
    },
    "acct_cases_caption": {"en": "Your cases", "es": "Sus casos"},
    "acct_col_number": {"en": "Control number", "es": "Número de control"},
    "acct_col_kind": {"en": "Kind", "es": "Tipo"},
    "acct_col_category": {"en": "Category", "es": "Categoría"},
    "acct_col_status": {"en": "Status", "es": "Estado"},
    "acct_col_updated": {"en": "Last update", "es": "Última actualización"},
    "acct_col_resolution": {"en": "Resolution", "es": "Resolución"},
    "acct_no_resolution": {"en": "Not resolved yet", "es": "Aún sin resolver"},
    "acct_pagination_label": {"en": "Pages of cases", "es": "Páginas de casos"},
    "acct_previous": {"en": "Previous page", "es": "Página anterior"},
    "acct_next": {"en": "Next page", "es": "Página siguiente"},
    "acct_page_of": {"en": "Page {page} of {pages}", "es": "Página {page} de {pages}"},
    "acct_attach_link": {
        "en": "Add a case you sent by phone or mail",
        "es": "Añadir un caso enviado por teléfono o por correo postal",
    },
    "acct_verified": {
        "en": "Your email address is verified.",
        "es": "Su correo electrónico está verificado.",
    },
    "acct_attached": {
        "en": "The case is now in your account.",
        "es": "El caso ya está en su cuenta.",
    },
    "acct_attach_title": {
        "en": "Add a case you sent by phone or mail",
        "es": "Añada un caso enviado por teléfono o por correo postal",
    },
    "acct_attach_intro": {
        "en": "Enter the control number of a case you sent by phone, letter, fax or comment "
        "card. We will send a code to the email address on file for that case.",
        "es": "Escriba el número de control de un caso que envió por teléfono, carta, fax o "
        "tarjeta de comentarios. Enviaremos un código al correo electrónico que consta en ese "
        "caso.",
    },
    "acct_attach_button": {"en": "Send a code", "es": "Enviar un código"},
    "acct_attach_code_title": {"en": "Enter the code", "es": "Escriba el código"},
    "acct_attach_code_intro": {
        "en": "If control number {number} is on file with an email address, we have sent a "
        "code to that address. Enter it below; it is good for 30 minutes.",
        "es": "Si el número de control {number} tiene un correo electrónico registrado, le "
        "enviamos un código a esa dirección. Escríbalo a continuación; es válido durante 30 "
        "minutos.",
    },
    "acct_attach_code_button": {"en": "Add the case", "es": "Añadir el caso"},
    "acct_attach_other": {"en": "Use another number", "es": "Usar otro número"},
    "acct_err_taken": {
        "en": "This case is already in another account, so it cannot be added to yours.",
        "es": "Este caso ya está en otra cuenta, por lo que no se puede añadir a la suya.",
    },
    "acct_link_title": {"en": "Email link", "es": "Enlace del correo"},
    "acct_link_sign_in": {
        "en": "Sign in to the account that asked for this code, then follow the link again.",
        "es": "Inicie sesión en la cuenta que pidió este código y siga el enlace de nuevo.",
    },
    "acct_link_unavailable": {
        "en": "This link has expired or was already used.",
        "es": "Este enlace ha caducado o ya se usó.",
    },
    "acct_go_cases": {"en": "Go to my cases", "es": "Ir a mis casos"},
    "acct_status_resolved": {"en": "Resolved", "es": "Resuelto"},
    "acct_status_redirected": {"en": "Redirected", "es": "Redirigido"},
    # Self-service
    "nav_manage": {"en": "Change a submission", "es": "Modificar un envío"},
    "status_manage_link": {
        "en": "Add information to a submission, correct it or withdraw it",
        "es": "Agregar información a un envío, corregirlo o retirarlo",
    },
    "manage_title": {"en": "Change a submission", "es": "Modificar un envío"},
    "manage_intro": {
        "en": "You can add information to your submission, correct it or withdraw it. Enter "
        "its control number and the email address you gave; we will email you a one-time "
        "code to prove the submission is yours.",
        "es": "Puede agregar información a su envío, corregirlo o retirarlo. Escriba su número "
        "de control y el correo electrónico que proporcionó; le enviaremos un código de un "
        "solo uso para comprobar que el envío es suyo.",
    },
    "manage_anonymous": {
        "en": "Anonymous submissions cannot be changed online, because we have no email "
        "address to send the code to.",
        "es": "Los envíos anónimos no se pueden modificar en línea, porque no tenemos un "
        "correo electrónico al que enviar el código.",
    },
    "manage_send_code": {"en": "Email me a code", "es": "Envíenme un código"},
    "code_title": {"en": "Enter your code", "es": "Escriba su código"},
    "code_sent": {
        "en": "If {number} was sent with that email address, we have emailed a six-digit code "
        "to it. The code works once and expires in 30 minutes. You can also open the link "
        "in the email instead.",
        "es": "Si {number} se envió con ese correo electrónico, le enviamos un código de seis "
        "dígitos. El código sirve una sola vez y vence en 30 minutos. También puede abrir el "
        "enlace del correo.",
    },
    "code_label": {"en": "Six-digit code", "es": "Código de seis dígitos"},
    "code_confirm": {"en": "Continue", "es": "Continuar"},
    "code_new": {"en": "Ask for a new code", "es": "Pedir un código nuevo"},
    "code_err_missing": {
        "en": "Enter the code we emailed you.",
        "es": "Escriba el código que le enviamos.",
    },
    "code_err_wrong": {
        "en": "This code is not right. You have {tries} more tries.",
        "es": "Este código no es correcto. Le quedan {tries} intentos.",
    },
    "code_err_locked": {
        "en": "Too many wrong codes. Ask for a new code.",
        "es": "Demasiados códigos incorrectos. Pida un código nuevo.",
    },
    "code_err_expired": {
        "en": "This code has expired or was already used. Ask for a new code.",
        "es": "Este código venció o ya se usó. Pida un código nuevo.",
    },
    "link_title": {"en": "Open your submission", "es": "Abrir su envío"},
    "link_intro": {
        "en": "Select Continue to see your submission and change it.",
        "es": "Seleccione Continuar para ver su envío y modificarlo.",
    },
    "link_failed_title": {"en": "This link no longer works", "es": "Este enlace ya no funciona"},
    "link_failed_text": {
        "en": "The link has expired or was already used. Ask for a new code.",
        "es": "El enlace venció o ya se usó. Pida un código nuevo.",
    },
    "case_title": {"en": "Your submission {number}", "es": "Su envío {number}"},
    "case_actions": {"en": "What you can do", "es": "Lo que puede hacer"},
    "case_supplement": {"en": "Add information or files", "es": "Agregar información o archivos"},
    "case_correct": {"en": "Correct something", "es": "Corregir algo"},
    "case_withdraw": {"en": "Withdraw the submission", "es": "Retirar el envío"},
    "case_finished": {
        "en": "This submission is {status}: it can no longer be changed. Its record is kept.",
        "es": "Este envío está {status}: ya no se puede modificar. Su registro se conserva.",
    },
    "case_supplements": {"en": "Information you added", "es": "Información que agregó"},
    "case_amendments": {"en": "Corrections you made", "es": "Correcciones que hizo"},
    "case_files": {"en": "Files: {count}", "es": "Archivos: {count}"},
    "case_amended": {
        "en": "{field}: “{old}” changed to “{new}” on {date}",
        "es": "{field}: «{old}» cambió a «{new}» el {date}",
    },
    "case_empty_value": {"en": "(empty)", "es": "(vacío)"},
    "case_session": {
        "en": "You can make changes for one hour; after that, ask for a new code.",
        "es": "Puede hacer cambios durante una hora; después, pida un código nuevo.",
    },
    "done_supplement": {"en": "Your information was added.", "es": "Se agregó su información."},
    "done_correct": {"en": "Your correction was recorded.", "es": "Se registró su corrección."},
    "done_withdraw": {
        "en": "Your submission was withdrawn.",
        "es": "Su envío fue retirado.",
    },
    "back_to_case": {"en": "Back to your submission", "es": "Volver a su envío"},
    "supplement_title": {"en": "Add information or files", "es": "Agregar información o archivos"},
    "reply_title": {
        "en": "Answer our request for information",
        "es": "Responda a nuestra solicitud de información",
    },
    "reply_intro": {
        "en": "Answer the question in our email, and attach a file if it helps. "
        "Your answer goes to the staff member handling your case.",
        "es": "Responda a la pregunta de nuestro correo y adjunte un archivo si ayuda. "
        "Su respuesta llega al funcionario que lleva su caso.",
    },
    "reply_text": {"en": "Your answer", "es": "Su respuesta"},
    "reply_send": {"en": "Send my answer", "es": "Enviar mi respuesta"},
    "done_reply": {"en": "Your answer was sent.", "es": "Se envió su respuesta."},
    "supplement_intro": {
        "en": "Add more details, a file, or both. What you sent before stays as it is.",
        "es": "Agregue más detalles, un archivo o ambos. Lo que envió antes se mantiene igual.",
    },
    "supplement_text": {"en": "More information", "es": "Más información"},
    "supplement_file": {"en": "File (optional)", "es": "Archivo (opcional)"},
    "supplement_file_hint": {
        "en": "PDF, JPEG or PNG, up to 10 MB.",
        "es": "PDF, JPEG o PNG, de hasta 10 MB.",
    },
    "supplement_send": {"en": "Add to my submission", "es": "Agregar a mi envío"},
    "supplement_err_empty": {
        "en": "Write some information or choose a file.",
        "es": "Escriba alguna información o elija un archivo.",
    },
    "supplement_err_type": {
        "en": "The file must be a PDF, JPEG or PNG.",
        "es": "El archivo debe ser PDF, JPEG o PNG.",
    },
    "supplement_err_size": {
        "en": "The file must be 10 MB or smaller.",
        "es": "El archivo debe ocupar 10 MB o menos.",
    },
    "supplement_err_file": {
        "en": "This file could not be accepted; choose another.",
        "es": "No se pudo aceptar este archivo; elija otro.",
    },
    "correct_title": {"en": "Correct your submission", "es": "Corregir su envío"},
    "correct_intro": {
        "en": "Choose the answer to correct and give the new value. We keep what you first "
        "sent and record the correction beside it.",
        "es": "Elija la respuesta que desea corregir y escriba el valor nuevo. Conservamos lo "
        "que envió al principio y registramos la corrección junto a ello.",
    },
    "correct_field": {"en": "Answer to correct", "es": "Respuesta que desea corregir"},
    "correct_value": {"en": "New value", "es": "Valor nuevo"},
    "correct_value_hint": {
        "en": "Leave empty to remove an optional answer. Dates as YYYY-MM-DD.",
        "es": "Déjelo vacío para borrar una respuesta opcional. Fechas como AAAA-MM-DD.",
    },
    "correct_reason": {"en": "Why (optional)", "es": "Motivo (opcional)"},
    "correct_send": {"en": "Save the correction", "es": "Guardar la corrección"},
    "correct_err_field": {
        "en": "Choose the answer to correct.",
        "es": "Elija la respuesta que desea corregir.",
    },
    "correct_err_unchanged": {
        "en": "The new value is the same as the current one.",
        "es": "El valor nuevo es igual al actual.",
    },
    "withdraw_title": {"en": "Withdraw your submission", "es": "Retirar su envío"},
    "withdraw_what": {
        "en": "If you withdraw it, we close your case as withdrawn and take no further action "
        "on it. We still keep its record for the time the law requires. You cannot undo "
        "this, and you can no longer add to or correct the submission.",
        "es": "Si lo retira, cerraremos su caso como retirado y no haremos nada más con él. "
        "Aun así conservaremos su registro durante el tiempo que exige la ley. No podrá "
        "deshacerlo ni volver a agregar información o corregir el envío.",
    },
    "withdraw_reason": {"en": "Why (optional)", "es": "Motivo (opcional)"},
    "withdraw_confirm_legend": {"en": "Confirm", "es": "Confirmar"},
    "withdraw_confirm": {
        "en": "Yes, withdraw this submission and close its case",
        "es": "Sí, retirar este envío y cerrar su caso",
    },
    "withdraw_send": {"en": "Withdraw", "es": "Retirar"},
    "withdraw_err_confirm": {
        "en": "Check the box to confirm you want to withdraw the submission.",
        "es": "Marque la casilla para confirmar que desea retirar el envío.",
    },
    "status_supplements": {"en": "Additions you made", "es": "Información que agregó"},
    "status_amendments": {"en": "Corrections you made", "es": "Correcciones que hizo"},
    "files_label": {"en": "Attach files (optional)", "es": "Adjuntar archivos (opcional)"},
    "files_hint": {
        "en": "Up to {max} files: PDF, JPEG or PNG, each up to 10 MB. If the page shows an "
        "error, choose the files again.",
        "es": "Hasta {max} archivos: PDF, JPEG o PNG, de hasta 10 MB cada uno. Si la página "
        "muestra un error, vuelva a elegir los archivos.",
    },
    "files_err_count": {
        "en": "Choose at most {max} files.",
        "es": "Elija como máximo {max} archivos.",
    },
    "err_reason_long": {
        "en": "The reason must be 1000 characters or fewer.",
        "es": "El motivo debe tener 1000 caracteres o menos.",
    },
}

CATEGORY_DESCRIPTIONS: dict[str, dict[Language, str]] = {
    "trusted_traveler": {
        "en": "Your membership, application or experience in a trusted traveler program, "
        "or your ESTA or EVUS.",
        "es": "Su membresía, solicitud o experiencia en un programa de viajero confiable, o "
        "su ESTA o EVUS.",
    },
    "border_patrol": {
        "en": "An encounter at a Border Patrol checkpoint or another location away from a "
        "port of entry.",
        "es": "Un encuentro en un puesto de control de la Patrulla Fronteriza u otro lugar "
        "fuera de un puerto de entrada.",
    },
    "aviation_marina": {
        "en": "Arriving by private aircraft or boat at a general aviation facility or marina.",
        "es": "Llegada en aeronave privada o embarcación a una instalación de aviación "
        "general o a una marina.",
    },
    "trade": {
        "en": "Importing or exporting goods: release, examination, duties, classification "
        "and other trade issues.",
        "es": "Importación o exportación de mercancías: liberación, inspección, aranceles, "
        "clasificación y otros asuntos comerciales.",
    },
    "general": {
        "en": "The website, an ESTA application, I-94 retrieval, delays, lost parcels, or "
        "general practices and procedures.",
        "es": "El sitio web, una solicitud ESTA, la obtención del I-94, demoras, paquetes "
        "perdidos, o prácticas y procedimientos generales.",
    },
}


@dataclass(frozen=True)
class Block:
    """One part of the Privacy Act Statement: an optional heading, then text or a list."""

    heading: str | None
    paragraphs: tuple[str, ...] = ()
    items: tuple[str, ...] = ()


# PIA Appendix A, as published; the statement's closing sentence points at a web site the
# source does not name, so it is left out rather than invented.
PRIVACY_ACT_STATEMENT: dict[Language, tuple[Block, ...]] = {
    "en": (
        Block(
            None,
            (
                "Pursuant to 5 U.S.C. § 552a(e)(3), this Privacy Act Statement serves to inform "
                "you of the following concerning the collection of the information on this form.",
            ),
        ),
        Block(
            "Authority",
            (
                "Executive Order 12862, September 11, 1993, “Setting Customer Service "
                "Standards” (58 FR 48257) provides the legal authority for collecting "
                "information in CQC2MS. Executive Order 13571, April 27, 2011 “Streamlining "
                "Service Delivery and Improving Customer Service” expands upon that authority "
                "by requiring agencies to use technology and service delivery systems to "
                "enhance customer service. 6 U.S.C. §§ 101 et seq. of the Homeland Security Act "
                "of 2002 provides the legal authority for sharing information with law "
                "enforcement and national security agencies for the purpose of protecting the "
                "United States from terrorists and natural disasters, and to safeguard the "
                "overall economic security of the United States.",
            ),
        ),
        Block(
            "Purpose",
            (
                "The purpose for soliciting this information is to: (1) collect and store "
                "information voluntarily submitted by you or your representative(s) that "
                "enables CBP to review your complaints or comments concerning CBP and reach a "
                "resolution, when possible, and (2) analyze performance metrics for the "
                "customer management program and historical customer treatment trends to "
                "improve customer service.",
            ),
        ),
        Block(
            "Disclosure",
            (
                "The information solicited on this form may be made available as a “routine "
                "use” to other Government agencies to assist the U.S. Department of Homeland "
                "Security in making determinations about your complaint or comment and for law "
                "enforcement and administration purposes. A complete list of the routine uses "
                "can be found in the system of records notice associated with this form, "
                "DHS/ALL-016 Department of Homeland Security Correspondence Records (November "
                "10, 2008, 73 FR 66657). The Department's system of records notices can be "
                "found on the Department's website at "
                "http://www.dhs.gov/system-records-notices-sorns.",
            ),
        ),
        Block(
            "Consequences of failure to provide information",
            (
                "The information collected from you through this form is voluntary. You may "
                "choose to submit information for all applicable fields, some fields, or not "
                "to submit information at all. However, if you provide insufficient "
                "information, it may impede CBP's ability to contact you, thoroughly review "
                "your complaint or comment, or reach a fair resolution.",
            ),
        ),
        Block(
            "What are your rights under the Privacy Act of 1974?",
            (
                "The Privacy Act of 1974 (5 U.S.C. § 552a) protects the personal information "
                "the Federal Government keeps on United States citizens and lawful permanent "
                "residents in “systems of records” (SOR). A SOR is information an agency "
                "controls that can be retrieved by name or some other personal identifier. The "
                "Privacy Act controls how the Government can disclose, share, provide access "
                "to, and maintain the personal information that it collects. DHS, as a matter "
                "of policy, extends the administrative rights of the Privacy Act, including the "
                "rights of access and amendment, to aliens when dealing with mixed-use systems "
                "(systems containing information about both U.S. citizens and foreign "
                "nationals). Not all information collected online is covered by the Privacy "
                "Act. The Act's major provisions require agencies to:",
            ),
            (
                "Publish a System of Records Notice (SORN) in the Federal Register explaining "
                "the existence, character, and uses of a new or revised SOR;",
                "Keep information about citizens and lawful permanent residents accurate, "
                "relevant, timely, and complete to assure fairness in dealing with you; and",
                "Allow citizens and legal permanent residents to, upon request, access and "
                "review their information held in a SOR except when exempted from disclosure "
                "in the SORN for law enforcement or national security reasons.",
            ),
        ),
    ),
    "es": (
        Block(
            None,
            (
                "De conformidad con el título 5 del Código de los Estados Unidos (U.S.C.), "
                "§ 552a(e)(3), esta Declaración de la Ley de Privacidad le informa lo siguiente "
                "sobre la recopilación de la información de este formulario.",
            ),
        ),
        Block(
            "Autoridad",
            (
                "La Orden Ejecutiva 12862, del 11 de septiembre de 1993, “Establecimiento de "
                "normas de servicio al cliente” (58 FR 48257), otorga la autoridad legal para "
                "recopilar información en CQC2MS. La Orden Ejecutiva 13571, del 27 de abril de "
                "2011, “Simplificación de la prestación de servicios y mejora del servicio al "
                "cliente”, amplía esa autoridad al exigir a las agencias que utilicen la "
                "tecnología y los sistemas de prestación de servicios para mejorar el servicio "
                "al cliente. El título 6 del U.S.C., §§ 101 y siguientes, de la Ley de "
                "Seguridad Nacional de 2002 otorga la autoridad legal para compartir "
                "información con organismos de orden público y de seguridad nacional con el fin "
                "de proteger a los Estados Unidos de terroristas y desastres naturales, y de "
                "salvaguardar la seguridad económica general de los Estados Unidos.",
            ),
        ),
        Block(
            "Propósito",
            (
                "Esta información se solicita con el propósito de: (1) recopilar y almacenar "
                "la información que usted o sus representantes proporcionen voluntariamente y "
                "que permita a CBP revisar sus quejas o comentarios sobre CBP y llegar a una "
                "resolución, cuando sea posible, y (2) analizar los indicadores de desempeño "
                "del programa de atención al cliente y las tendencias históricas del trato al "
                "cliente para mejorar el servicio al cliente.",
            ),
        ),
        Block(
            "Divulgación",
            (
                "La información solicitada en este formulario puede ponerse a disposición, "
                "como “uso rutinario”, de otras agencias del Gobierno para ayudar al "
                "Departamento de Seguridad Nacional de los Estados Unidos a tomar decisiones "
                "sobre su queja o comentario y con fines de orden público y de administración. "
                "La lista completa de los usos rutinarios figura en el aviso del sistema de "
                "registros asociado a este formulario, DHS/ALL-016 Registros de Correspondencia "
                "del Departamento de Seguridad Nacional (10 de noviembre de 2008, 73 FR 66657). "
                "Los avisos de sistemas de registros del Departamento se encuentran en su sitio "
                "web: http://www.dhs.gov/system-records-notices-sorns.",
            ),
        ),
        Block(
            "Consecuencias de no proporcionar la información",
            (
                "La información que se le solicita en este formulario es voluntaria. Puede "
                "optar por proporcionar información en todos los campos que correspondan, solo "
                "en algunos, o no proporcionar ninguna información. Sin embargo, si la "
                "información que proporciona es insuficiente, es posible que CBP no pueda "
                "comunicarse con usted, revisar a fondo su queja o comentario, o llegar a una "
                "resolución justa.",
            ),
        ),
        Block(
            "¿Cuáles son sus derechos según la Ley de Privacidad de 1974?",
            (
                "La Ley de Privacidad de 1974 (5 U.S.C. § 552a) protege la información "
                "personal que el Gobierno federal conserva sobre los ciudadanos y los "
                "residentes permanentes legales de los Estados Unidos en “sistemas de "
                "registros” (SOR, por sus siglas en inglés). Un SOR es información que una "
                "agencia controla y que puede recuperarse por nombre o por algún otro "
                "identificador personal. La Ley de Privacidad regula cómo el Gobierno puede "
                "divulgar, compartir, dar acceso a y conservar la información personal que "
                "recopila. Por política, el DHS extiende los derechos administrativos de la "
                "Ley de Privacidad, incluidos los derechos de acceso y de enmienda, a los "
                "extranjeros cuando se trata de sistemas de uso mixto (sistemas que contienen "
                "información tanto de ciudadanos estadounidenses como de extranjeros). No toda "
                "la información recopilada en línea está amparada por la Ley de Privacidad. "
                "Las principales disposiciones de la Ley exigen que las agencias:",
            ),
            (
                "Publiquen en el Registro Federal un Aviso de Sistema de Registros (SORN) que "
                "explique la existencia, la naturaleza y los usos de un SOR nuevo o modificado;",
                "Mantengan la información sobre los ciudadanos y los residentes permanentes "
                "legales exacta, pertinente, oportuna y completa para garantizar un trato justo "
                "hacia usted; y",
                "Permitan a los ciudadanos y a los residentes permanentes legales, si lo "
                "solicitan, acceder a su información contenida en un SOR y revisarla, salvo "
                "cuando el SORN la exima de divulgación por motivos de orden público o de "
                "seguridad nacional.",
            ),
        ),
    ),
}


class Translator:
    """The portal's words in one language."""

    def __init__(self, lang: Language) -> None:
        self.lang = lang

    def __call__(self, key: str, **values: object) -> str:
        text = STRINGS[key][self.lang]
        return text.format(**values) if values else text

    def text(self, labels: dict[str, str]) -> str:
        """A label from the form definition, in this language (English if it lacks one)."""
        return labels.get(self.lang) or labels[DEFAULT_LANGUAGE]

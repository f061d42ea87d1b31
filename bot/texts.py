"""Every sentence the bot says, in one place, so wording can be reviewed and changed without reading code.

Values are filled with str.format; numbers must already be in Persian digits (bot.persian).
"""

BOT_NAME = "دستیار خدمات دولتی"

WELCOME = (
    "سلام {name}! 👋\n"
    "من دستیار خدمات دولتی هستم. می‌توانم خدمتی را که دنبالش هستید پیدا کنم، مدارک، هزینه، مدت و مراحل آن "
    "را بگویم، برایتان ثبت‌نام کنم و کد رهگیری بدهم و درخواستتان را پیگیری کنم.\n\n"
    "کافی است نام خدمت یا سؤالتان را بنویسید؛ مثلاً:\n"
    "• مدارک لازم برای وام کارا چیه؟\n"
    "• ثبت‌نام دوره فنی و حرفه‌ای\n"
    "یا از دکمه‌های زیر استفاده کنید."
)
HELP = (
    "{title}\n"
    "• نام خدمت یا موضوع را بنویسید (مثلاً «طرح کارا» یا «دوره مهارتی»).\n"
    "• درباره خدمتی که می‌بینید بپرسید: «مدارکش چیه؟»، «هزینه‌اش چقدره؟»، «چقدر طول می‌کشه؟»، "
    "«سایتش چیه؟»، «مراحلش چیه؟»\n"
    "• برای ثبت‌نام دکمه «ثبت‌نام» را بزنید یا بنویسید «می‌خواهم ثبت‌نام کنم».\n"
    "• برای پیگیری، کد رهگیری را بفرستید.\n"
    "• هر وقت خواستید از کاری منصرف شوید: /cancel\n"
    "• بازگشت به منوی اصلی: /start"
)
HELP_TITLE = "راهنما"
THANKS = "خواهش می‌کنم 🌷 اگر سؤال دیگری دارید بپرسید."
GREETING = "سلام، وقت بخیر! نام خدمت یا سؤالتان را بنویسید تا کمکتان کنم."

# Main menu
MENU_SEARCH = "🔎 جست‌وجوی خدمت"
MENU_BY_AGENCY = "🏛 خدمات بر اساس دستگاه"
MENU_BY_EVENT = "📅 بر اساس رویداد زندگی"
MENU_BY_TYPE = "👥 بر اساس نوع خدمت"
MENU_TRACK = "📌 پیگیری درخواست"
MENU_HELP = "❓ راهنما"
SEARCH_PROMPT = "نام خدمت یا موضوع آن را بنویسید؛ مثلاً «وام کارا» یا «دوره فنی و حرفه‌ای»."
TRACK_PROMPT = "کد رهگیری درخواستتان را بفرستید (با هر نوع رقمی)."
BROWSE_AGENCIES = "دستگاه را انتخاب کنید:"
BROWSE_EVENTS = "رویداد زندگی را انتخاب کنید:"
BROWSE_TYPES = "نوع خدمت را انتخاب کنید:"
BROWSE_SERVICES = "خدمات «{group}»:"
BROWSE_EMPTY = "فعلاً خدمتی در این گروه ثبت نشده است."
PAGE_NEXT = "بعدی ◀️"
PAGE_PREV = "▶️ قبلی"
PAGE_OF = "صفحه {page} از {pages}"
BACK_TO_MENU = "🏠 منوی اصلی"

# Service card
CARD_PROVIDER = "🏛 دستگاه: {provider}"
CARD_PARENT = " (زیرمجموعه {parent})"
CARD_COST = "💰 هزینه: {cost}"
CARD_DURATION = "⏱ مدت انجام: {duration}"
CARD_WEBSITE = "🌐 نشانی: {url}"
CARD_ASK = "چه چیزی را می‌خواهید بدانید؟"
BTN_DOCUMENTS = "📄 مدارک لازم"
BTN_COST = "💰 هزینه"
BTN_DURATION = "⏱ مدت"
BTN_STEPS = "🪜 مراحل"
BTN_WEBSITE = "🌐 سایت"
BTN_CONTACT = "☎️ تماس و دستگاه"
BTN_LAWS = "⚖️ قوانین"
BTN_AUDIENCE = "👥 چه کسانی"
BTN_IN_PERSON = "🚶 مراجعه حضوری"
BTN_REGISTER = "📝 ثبت‌نام"
BTN_CARD = "↩️ خلاصه خدمت"
BTN_OPEN_SITE = "باز کردن سایت"

# Facts
DOCUMENTS_TITLE = "مدارک لازم برای «{title}»:"
COST_TITLE = "هزینه «{title}»:"
COST_FREE = "این خدمت رایگان است."
COST_ITEM = "• {amount}{purpose}{electronic}"
COST_PURPOSE = " — بابت {purpose}"
COST_ELECTRONIC = " (پرداخت الکترونیکی)"
COST_ACCOUNT = "  شماره حساب: {account}"
DURATION_TITLE = "مدت انجام «{title}»: {duration}"
FREQUENCY = "تواتر: {frequency}"
WEBSITE_TITLE = "نشانی اینترنتی «{title}»:"
SYSTEM_NAME = "نام سامانه: {name}"
STEPS_TITLE = "مراحل «{title}»:"
STEPS_YOURS = "کارهایی که شما برای «{title}» انجام می‌دهید:"
STEPS_ALL = "همه مراحل این خدمت در شناسنامه (کار شما و کار دستگاه):"
COST_PAY_ONLINE = "💳 پرداخت الکترونیکی: {url}"
ENGLISH_NOTE = "ℹ️ I answer in Persian; you may write in English or Persian."
AGENCY_SERVICES = "خدمات «{agency}» که در فهرست من هست (یکی را انتخاب کنید):"
ELSEWHERE = "«{title}» را {agency} ارائه می‌دهد و در فهرست خدمات این بات نیست."
ELSEWHERE_SITE = "درگاه رسمی: {url}"
ELSEWHERE_NO_SITE = "برای این خدمت به {agency} مراجعه کنید یا از درگاه رسمی آن بپرسید."
NUMBER_NATIONAL_CODE = "این عدد شبیه کد ملی است. کد ملی را فقط وقتی فرم ثبت‌نام می‌پرسد بنویسید؛ این‌جا لازم نیست."
NUMBER_MOBILE = "این عدد شبیه شماره همراه است. شماره همراه را فقط وقتی فرم ثبت‌نام می‌پرسد بنویسید؛ این‌جا لازم نیست."
NUMBER_YOUR_REQUESTS = "درخواست‌های باز شما در این گفت‌وگو (برای دیدن وضعیت، دکمه‌اش را بزنید):"
NUMBER_HOW_TO_TRACK = "برای پیگیری درخواست، کد رهگیری ۱۲ رقمی را که هنگام ثبت‌نام گرفتید همین‌جا بفرستید."
TRACK_REQUEST_BUTTON = "📌 {title} — {code}"
PROVIDER_TITLE = "«{title}» را {provider} ارائه می‌دهد."
PROVIDER_PARENT = "دستگاه مادر: {parent}"
CONTACT_UNIT = "واحد مربوط: {unit}"
CONTACT_PHONE = "☎️ تلفن: {phone}"
CONTACT_EMAIL = "✉️ ایمیل: {email}"
CONTACT_ADDRESS = "📍 نشانی: {address}"
LAWS_TITLE = "قوانین و مقررات «{title}»:"
AUDIENCE_TITLE = "«{title}» برای چه کسانی است:"
AUDIENCE_TEXT = "مخاطبان: {audience}"
AUDIENCE_TYPES = "نوع خدمت: {types}"
IN_PERSON_TITLE = "مراجعه حضوری برای «{title}»:"
IN_PERSON_COUNT = "تعداد مراجعه حضوری: {count} بار"
IN_PERSON_NONE = "نیازی به مراجعه حضوری نیست."
IN_PERSON_STAGE = "• در مرحله {stage}: {reasons}"
RECIPIENTS = "تعداد خدمت‌گیرندگان: {count}"

NOT_STATED = "شناسنامه این خدمت درباره {what} چیزی نگفته است."
WHERE_TO_ASK_SITE = "برای اطلاع دقیق به {url} سر بزنید."
WHERE_TO_ASK_CONTACT = "برای اطلاع دقیق با {contact} تماس بگیرید."
WHERE_TO_ASK_AGENCY = "برای اطلاع دقیق از {provider} بپرسید."
WHAT = {
    "documents": "مدارک لازم",
    "cost": "هزینه",
    "duration": "مدت انجام",
    "website": "نشانی اینترنتی",
    "steps": "مراحل انجام",
    "provider": "راه تماس",
    "laws": "قوانین و مقررات",
    "audience": "مخاطبان",
    "in_person": "مراجعه حضوری",
}

# Search outcomes
CHOICE = "چند خدمت به سؤال شما نزدیک است. منظورتان کدام است؟"
CHOICE_WHY = "• {title}: {why}"
ABOUT_SERVICE = "«{title}»"
NOT_FOUND = "متأسفانه خدمتی با «{query}» در فهرست خدمات من پیدا نکردم."
NOT_FOUND_SUGGEST = "شاید منظورتان یکی از این‌ها باشد:"
NOT_FOUND_HINT = (
    "می‌توانید نام خدمت را طور دیگری بنویسید یا از منوی «خدمات بر اساس دستگاه» بگردید. "
    "اگر خدمت مربوط به دستگاه دیگری است، بهتر است از درگاه یا تلفن همان دستگاه بپرسید."
)
REGISTER_WHAT = "ثبت‌نام"
ASK_WHICH_SERVICE = "درباره کدام خدمت می‌پرسید؟ نام خدمت را بنویسید تا {what} آن را بگویم."
EMPTY_TEXT = "پیامتان خالی بود. نام خدمت یا سؤالتان را بنویسید."
TOO_LONG = "پیامتان خیلی طولانی است. لطفاً سؤالتان را کوتاه‌تر (حداکثر {limit} نویسه) بنویسید."
NON_TEXT = "فعلاً فقط پیام نوشتاری را می‌فهمم 🙏 لطفاً سؤالتان را بنویسید."
EDITED = "پیام ویرایش‌شده را دریافت کردم؛ لطفاً سؤال تازه را به صورت پیام جدید بفرستید."
STALE_BUTTON = "این دکمه دیگر معتبر نیست. لطفاً دوباره جست‌وجو کنید یا /start را بزنید."
UNKNOWN_COMMAND = "این دستور را نمی‌شناسم. برای راهنما /help را بزنید."
CANCELLED = "باشد، لغو شد. هر وقت خواستید دوباره بپرسید."
NOTHING_TO_CANCEL = "کاری در جریان نبود. نام خدمت یا سؤالتان را بنویسید."
ERROR = "متأسفانه خطایی پیش آمد و پیامتان انجام نشد. لطفاً چند لحظه دیگر دوباره تلاش کنید."
BUSY = "سامانه الان شلوغ است؛ لطفاً چند ثانیه دیگر دوباره بفرستید."
SLOW_DOWN = "پیام‌هایتان خیلی پشت سر هم می‌رسد؛ لطفاً کمی آهسته‌تر 🙏"
REGISTER_SOON = "برای ثبت‌نام در «{title}» به {where} مراجعه کنید."
TRACK_SOON = "پیگیری درخواست به‌زودی از همین‌جا ممکن می‌شود."

# Tracking
TRACK_MISTYPED = "این کد رهگیری درست به نظر نمی‌رسد (رقم کنترل آن نمی‌خواند). لطفاً کد را دوباره با دقت بفرستید."
TRACK_NOT_FOUND = "درخواستی با این کد رهگیری برای شما پیدا نشد. کد را بررسی کنید یا از همان حسابی که ثبت‌نام کردید بپرسید."
TRACK_WAIT = "چند بار پشت سر هم کد نادرست فرستادید. لطفاً {seconds} ثانیه دیگر دوباره تلاش کنید."
TRACK_TITLE = "📌 درخواست {code}"
TRACK_SERVICE = "خدمت: {title}"
TRACK_STATUS = "وضعیت فعلی: {status}"
TRACK_CREATED = "تاریخ ثبت: {date}"
TRACK_HISTORY = "سابقه:"
TRACK_EVENT = "• {date}: {status}{note}"
REGISTER_WHERE = "ثبت‌نام «{title}» از این راه انجام می‌شود:"
REGISTER_NO_CHANNEL = "راه ثبت‌نام این خدمت در شناسنامه آن نیامده است."

# Registration form
FORM_INTRO = "ثبت‌نام در «{title}»\n{count} پرسش کوتاه می‌پرسم؛ هر جا خواستید «بازگشت» یا «انصراف» را بزنید."
FORM_QUESTION = "پرسش {n} از {total}: {label}"
FORM_OPTIONAL = "(اختیاری)"
FORM_SHARE_CONTACT = "📱 ارسال شماره همراه من"
FORM_BACK_WORD = "بازگشت"
FORM_CANCEL_WORD = "انصراف"
FORM_BACK_BUTTON = "↩️ بازگشت"
FORM_CANCEL_BUTTON = "✖️ انصراف"
FORM_SKIP = "رد شدن از این پرسش"
FORM_CONFIRM = "✅ تأیید و ارسال"
FORM_EDIT = "✏️ {label}"
FORM_SUMMARY = "لطفاً اطلاعات ثبت‌نام در «{title}» را بررسی کنید:"
FORM_SUMMARY_ASK = "اگر همه درست است «تأیید و ارسال» را بزنید؛ برای اصلاح هر مورد، دکمه آن را بزنید."
FORM_USE_BUTTONS = "برای ادامه، یکی از دکمه‌های زیر خلاصه را بزنید."
FORM_CANCELLED = "ثبت‌نام لغو شد و اطلاعاتی که نوشته بودید پاک شد."
FORM_AT_FIRST = "این اولین پرسش است."
FORM_SAVED = "{label} ثبت شد: {value}"
FORM_EMPTY = "پاسخ خالی بود؛ لطفاً دوباره بنویسید."
FORM_TOO_LONG = "پاسخ خیلی طولانی است (حداکثر {limit} نویسه)."
FORM_NAME_LETTERS = "نام را فقط با حروف بنویسید (بدون رقم و نشانه)، مثلاً: مریم احمدی"
FORM_NAME_FULL = "لطفاً نام و نام خانوادگی را کامل بنویسید، مثلاً: مریم احمدی"
FORM_NUMBER = "لطفاً فقط یک عدد بنویسید (با رقم فارسی یا انگلیسی)."
FORM_NUMBER_MIN = "عدد نباید کمتر از {min} باشد."
FORM_NUMBER_MAX = "عدد نباید بیشتر از {max} باشد."
FORM_YES_NO = "لطفاً «بله» یا «خیر» را بزنید یا بنویسید."
FORM_CHOICE = "این گزینه در فهرست نیست؛ لطفاً یکی از دکمه‌ها را بزنید."
FORM_PROVINCE = "نام استان را نشناختم؛ لطفاً استان را از دکمه‌ها انتخاب کنید."
FORM_CITY = "لطفاً نام شهر را با حروف بنویسید."
FORM_DATE = "تاریخ را به شکل روز/ماه/سال شمسی بنویسید، مثلاً ۱۴۰۳/۰۵/۲۱."
FORM_TEXT_MIN = "پاسخ کوتاه است؛ دست‌کم {min} نویسه بنویسید."
HINT_NATIONAL_CODE = "کد ملی ۱۰ رقمی را بنویسید (رقم فارسی یا انگلیسی فرقی نمی‌کند)."
HINT_NAME = "مثلاً: مریم احمدی"
HINT_NUMBER = "فقط عدد بنویسید."
HINT_DATE = "به شکل روز/ماه/سال شمسی، مثلاً ۱۴۰۳/۰۵/۲۱"
HINT_PROVINCE = "استان را از دکمه‌ها انتخاب کنید یا نامش را بنویسید."
HINT_CITY = "استان: {province} — حالا نام شهر را بنویسید."
CONFIRMATION_REMINDER = "📌 برای اطمینان: کد رهگیری ثبت‌نام شما در «{title}»: {code}"
FORM_SIDE_BACK = "↩️ ادامه ثبت‌نام:"
FORM_RESUME = "شما ثبت‌نام نیمه‌تمامی در «{title}» دارید. ادامه می‌دهیم:"
FORM_CHANGED = "پرسش‌های این فرم همین حالا به‌روز شد و پاسخ شما ذخیره نشد؛ لطفاً به این پرسش پاسخ دهید:"
FORM_PAUSED = "ثبت‌نام نیمه‌تمام «{title}» محفوظ است."
FORM_RESUME_BUTTON = "▶️ ادامه ثبت‌نام"
FORM_DISABLED = "ثبت‌نام «{title}» از طریق این بات انجام نمی‌شود."
REGISTERED = (
    "✅ ثبت‌نام شما در «{title}» انجام شد.\n"
    "کد رهگیری: {code}\n"
    "تاریخ ثبت: {date}\n"
    "این کد را نگه دارید؛ برای پیگیری کافی است آن را همین‌جا بفرستید."
)
REGISTERED_DUPLICATE = (
    "برای این کد ملی درخواست بازی در «{title}» از قبل ثبت شده است و درخواست تازه‌ای ساخته نشد.\n"
    "کد رهگیری همان درخواست: {code}"
)
REQUEST_LIMIT = (
    "از این حساب در یک روز گذشته {limit} درخواست ثبت شده است و بیش از این پذیرفته نمی‌شود 🙏\n"
    "فرمتان نگه داشته شد؛ فردا دوباره «تأیید و ارسال» را بزنید."
)
NEXT_STEPS = "مراحل بعدی:"
TRACK_BUTTON = "📌 پیگیری این درخواست"
STATUS_CHANGED = "🔔 وضعیت درخواست {code} در «{title}» تغییر کرد:\n{status}{note}"
FORM_OWN_CONTACT = "لطفاً شماره همراه خودتان را با دکمه «ارسال شماره همراه من» بفرستید یا آن را تایپ کنید."

# The support desk (bot/dialogue/desk.py). The citizen's side: a person answers in the chat, always as
# "the support team", never by name.
DESK_BUTTON = "💬 گفت‌وگو با کارشناس"
DESK_OPENED = (
    "درخواست گفت‌وگوی شما با کارشناس ثبت شد (شماره {number}).\n"
    "{when}\n"
    "تا آن وقت می‌توانید پرسشتان را کامل‌تر بنویسید یا عکس یا فایل (مثلاً مدارکتان) بفرستید؛ همه به همین "
    "گفت‌وگو می‌رسد و پاسخ کارشناس همین‌جا برایتان می‌آید.\n"
    "برای بستن گفت‌وگو: /cancel"
)
DESK_WHEN_OPEN = "کارشناسان پشتیبانی الان سر کارند ({hours}) و معمولاً به‌زودی پاسخ می‌دهند."
DESK_WHEN_CLOSED = "الان خارج از ساعت کاری کارشناسان است ({hours})؛ پاسخ از {next} به بعد می‌رسد."
DESK_ALREADY_OPEN = (
    "گفت‌وگوی شما با کارشناس (شماره {number}) باز است؛ پیامتان را بنویسید تا به کارشناس برسد. برای بستن: /cancel"
)
DESK_STILL_OPEN = (
    "گفت‌وگوی شما با کارشناس (شماره {number}) هنوز باز است و پیام‌هایتان به کارشناس می‌رسد. برای بستن: /cancel"
)
DESK_UNAVAILABLE = (
    "من دستیار خودکار هستم و گفت‌وگو با کارشناس از این‌جا فعلاً ممکن نیست. نام خدمت یا سؤالتان را بنویسید تا "
    "کمکتان کنم؛ برای موارد دیگر از خود دستگاه بپرسید."
)
DESK_STAFF_SAYS = "👤 پاسخ کارشناس پشتیبانی:\n{text}"
DESK_STAFF_FILE = "👤 از طرف کارشناس پشتیبانی"
DESK_CLOSED_BY_CITIZEN = "گفت‌وگو با کارشناس (شماره {number}) بسته شد. هر سؤالی دارید بنویسید تا خودم پاسخ بدهم."
DESK_CLOSED_BY_STAFF = (
    "کارشناس پشتیبانی گفت‌وگو (شماره {number}) را بست. اگر باز هم سؤالی داشتید بنویسید تا خودم پاسخ بدهم."
)
DESK_KINDS = "در گفت‌وگو با کارشناس فقط متن، عکس و فایل فرستاده می‌شود."
VOTE_UP = "👍"
VOTE_DOWN = "👎"
VOTE_THANKS = "ممنون از بازخوردتان 🌷"
VOTE_SORRY = "متأسفیم که این پاسخ کمکی نکرد. اگر بخواهید، یکی از کارشناسان پشتیبانی همین‌جا پاسخ می‌دهد."

# The support desk: the staff group's side (staff names appear here only)
DESK_TICKET_HEAD = "🎫 #{number} — گفت‌وگوی تازه با کارشناس"
DESK_TICKET_REPORT_HEAD = "🎫 #{number} — {status}"
DESK_TICKET_SERVICE = "خدمت: {title}"
DESK_TICKET_QUESTION = "پرسش: «{question}»"
DESK_TICKET_CONTEXT = "آخرین پیام‌ها:"
DESK_TICKET_CITIZEN_LINE = "👤 {text}"
DESK_TICKET_BOT_LINE = "🤖 {text}"
DESK_TICKET_OPENED_AT = "باز شده: {when}"
DESK_TICKET_TAKEN = "کارشناس: {name}"
DESK_TICKET_MESSAGES = "پیام‌ها: {to_staff} از شهروند، {to_citizen} به شهروند"
DESK_TICKET_HINT = "برای پاسخ به شهروند روی همین پیام «پاسخ» (Reply) بزنید؛ متن، عکس یا فایل."
DESK_STATUS_OPEN = "باز"
DESK_STATUS_CLOSED = "بسته"
DESK_NONE = "—"
DESK_CITIZEN_SAYS = "💬 #{number} شهروند:\n{text}"
DESK_CITIZEN_FILE = "💬 #{number} شهروند فایلی فرستاد"
DESK_BTN_TAKE = "✋ برمی‌دارم"
DESK_BTN_CLOSE = "✅ بستن"
DESK_BTN_SUGGEST = "➕ نام دیگر یا نیاز خدمت…"
DESK_BTN_NEED = "🆕 خدمتی که در فهرست نیست"
DESK_TAKEN = "✋ #{number} را {name} برداشت."
DESK_TAKEN_YOU = "گفت‌وگوی #{number} با شماست."
DESK_TAKEN_BY_OTHER = "این گفت‌وگو را {name} برداشته است."
DESK_CLOSED_NOTE = "✅ #{number} را {name} بست."
DESK_CLOSED_BY_CITIZEN_NOTE = "🔒 #{number}: شهروند گفت‌وگو را بست."
DESK_IS_CLOSED = "گفت‌وگوی #{number} بسته است؛ این پیام به شهروند فرستاده نشد."
DESK_ALREADY_CLOSED = "گفت‌وگوی #{number} پیش‌تر بسته شده است."  # a take or close button on a closed ticket
DESK_NOT_STAFF = "فقط کارشناسان پشتیبانی می‌توانند این کار را بکنند."
DESK_STAFF_KINDS = "فقط متن، عکس و فایل به شهروند فرستاده می‌شود."
DESK_CITIZEN_GONE = "⚠️ #{number}: پیام به شهروند نرسید (بات را مسدود کرده است)."
DESK_SUGGEST_PICK = (
    "#{number}: «{question}» نام دیگر کدام خدمت است؟\n"
    "پیشنهاد برای بررسی مدیر ثبت می‌شود؛ فایل‌های دانش فقط با بررسی مدیر تغییر می‌کنند."
)
DESK_SUGGEST_NO_QUESTION = "این گفت‌وگو پرسشی ندارد که به خدمتی افزوده شود."
DESK_SUGGESTED_ALIAS = "📝 #{number}: «{question}» به عنوان نام دیگر «{title}» برای بررسی مدیر ثبت شد."
DESK_SUGGESTED_NEED = "📝 #{number}: «{question}» به عنوان خدمتی که در فهرست نیست برای بررسی مدیر ثبت شد."
DESK_SUGGESTED_BEFORE = "این پیشنهاد قبلاً ثبت شده است."
DESK_NO_TICKET = "گفت‌وگویی با شماره {number} پیدا نشد."
DESK_OPEN_TITLE = "🎫 گفت‌وگوهای باز (قدیمی‌ترین اول):"
DESK_OPEN_ITEM = "• #{number} — {when}{service} — {taken}: «{question}»"
DESK_OPEN_SERVICE = " — {title}"
DESK_OPEN_EMPTY = "گفت‌وگوی بازی نیست 👌"
DESK_NOT_TAKEN = "برداشته نشده"
DESK_TAKEN_BY = "با {name}"
DESK_STAFF_HELP = (
    "دستورهای کارشناسان در این گروه:\n"
    "/open — گفت‌وگوهای باز\n"
    "/ticket شماره — یک گفت‌وگو\n"
    "/request کد‌رهگیری — یک درخواست ثبت‌نام (اطلاعات شخصی پوشیده)\n"
    "/status کد‌رهگیری وضعیت [یادداشت] — تغییر وضعیت درخواست (به شهروند خبر داده می‌شود)\n"
    "برای پاسخ به شهروند روی پیام گفت‌وگو «پاسخ» (Reply) بزنید."
)
DESK_CHAT_ID = "شناسه این گروه: {chat_id}\nبرای میز پشتیبانی، همین عدد را شناسه گروه پشتیبانی در تنظیمات بات بگذارید."
DESK_TICKET_USAGE = "به شکل /ticket شماره بنویسید، مثلاً /ticket 12"
DESK_REQUEST_USAGE = "به شکل /request کد‌رهگیری بنویسید."
DESK_REQUEST_NOT_FOUND = "درخواستی با کد {code} پیدا نشد."
DESK_STATUS_USAGE = "به شکل /status کد‌رهگیری وضعیت [یادداشت] بنویسید؛ وضعیت‌ها: {statuses}"
DESK_STATUS_DONE = "✔ وضعیت {code} شد «{status}». شهروند در گفت‌وگو باخبر می‌شود."
DESK_REQUEST_TITLE = "📌 درخواست {code}"
DESK_REQUEST_IDENTITY = "کد ملی: {national_code} — همراه: {mobile}"
DESK_REQUEST_DUPLICATE = "⚠ تکراری؟ همین کد ملی در درخواست باز {code} از حساب دیگری ثبت شده است."
LOG_RELAY_TO_STAFF = "[به کارشناس #{number}] {text}"
LOG_RELAY_TO_CITIZEN = "[از کارشناس #{number}] {text}"
LOG_DESK_FILE = "[{kind}] {caption}"

# The conversation log: what it keeps instead of a form answer or a reply that shows answers back (staff
# read these; the answers themselves are personal and stay in the request only)
LOG_FORM_ANSWER = "[پاسخ فرم: {field}]"
LOG_FORM_SAVED = "[پاسخ فرم ثبت شد: {field}]"
LOG_FORM_SUMMARY = "[خلاصه فرم]"
LOG_FORM_AT_SUMMARY = "خلاصه"
LOG_FORM_UNKNOWN_FIELD = "?"
LOG_FORM_EDITED = "[ویرایش] [پاسخ فرم: ?]"

# Admin commands (only for BOT_ADMIN_IDS)
ADMIN_STATS_TITLE = "📊 آمار {days} روز گذشته"
ADMIN_STATS_DAY = "• {day}: {incoming} پیام از {users} کاربر (بی‌پاسخ: {unanswered})"
ADMIN_TOP_SERVICES = "پرسیده‌ترین خدمات:"
ADMIN_TOP_ITEM = "• {title}: {count}"
ADMIN_REQUESTS = "درخواست‌ها بر اساس وضعیت:"
ADMIN_NONE = "—"
ADMIN_UNANSWERED_TITLE = "❓ پرسش‌های بی‌پاسخ (پرتکرارترین):"
ADMIN_UNANSWERED_ITEM = "• «{text}» — {count} بار، آخرین: {last}"
ADMIN_UNANSWERED_EMPTY = "پرسش بی‌پاسخی ثبت نشده است 👌"
ADMIN_RELOAD_OK = "✅ دانش دوباره بارگذاری شد: {count} خدمت."
ADMIN_RELOAD_FAILED = "❌ دانش بارگذاری نشد و بات با دانش قبلی ({count} خدمت) ادامه می‌دهد. {n} مشکل:"
ADMIN_RELOAD_SUPERSEDED = "ℹ️ در همین حین بارگذاری تازه‌تری شروع شد؛ نتیجه همان بارگذاری تازه‌تر به کار می‌رود."
ADMIN_RELOAD_MORE = "… و {n} مشکل دیگر (همه را با python -m bot validate ببینید)."
ADMIN_FEEDBACK_SERVICES = "بازخورد پاسخ‌ها بر اساس خدمت (👍/👎):"
ADMIN_FEEDBACK_INTENTS = "بازخورد پاسخ‌ها بر اساس نوع پرسش (👍/👎):"
ADMIN_FEEDBACK_ITEM = "• {title}: 👍 {up} / 👎 {down}"
ADMIN_TICKETS = "گفت‌وگو با کارشناس: {open} باز، {closed} بسته"
ADMIN_SUGGESTIONS_TITLE = "📝 پیشنهادهای کارشناسان برای دانش (برای بررسی؛ در فایل‌های دانش خودکار اعمال نمی‌شوند):"
ADMIN_SUGGESTION_ALIAS = "• «{question}» ← نام دیگر «{title}»"
ADMIN_SUGGESTION_NEED = "• «{question}» ← خدمتی که در فهرست نیست"

# Why a service was offered: one short line per option of a choice, from the citizen's own words
# («خوشه»، «صنعتی» در نام‌های رایج خدمت).
WHY_FIELDS = {
    "title": "عنوان خدمت",
    "aliases": "نام‌های رایج خدمت",
    "needs": "موقعیت‌های رایج این خدمت",
    "system_name": "نام سامانه",
    "provider": "نام دستگاه",
    "parent_agency": "نام دستگاه مادر",
    "audience": "مخاطبان خدمت",
    "faq": "پرسش‌های رایج",
    "description": "شرح خدمت",
    "steps": "مراحل خدمت",
    "documents": "مدارک خدمت",
    "laws": "قوانین خدمت",
}
WHY_WORDS = "{words} در {field}"
WHY_JOIN = "؛ "
WHY_AGENCY = "از خدمات {agency}"
WHY_SERVICE_ID = "شناسه خدمت {id}"

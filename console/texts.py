"""Every Persian sentence of the web console that code builds (the templates hold the page texts), kept in
one place so wording can be reviewed and changed together."""

from __future__ import annotations

ROLE_LABELS = {
    "viewer": "بیننده",
    "clerk": "کارشناس",
    "editor": "ویرایشگر",
    "admin": "مدیر",
}
ROLE_RIGHTS = {
    "viewer": "دیدن داشبورد، گفت‌وگوها، پرسش‌های بی‌پاسخ و درخواست‌ها با اطلاعات شخصیِ پوشیده؛ خروجی بدون اطلاعات شخصی",
    "clerk": "به‌علاوه: تغییر وضعیت درخواست‌ها، دیدن اطلاعات شخصی با ذکر دلیل، رسیدگی به پرسش‌های بی‌پاسخ، خروجی با اطلاعات شخصی",
    "editor": "به‌علاوه: ویرایش، پیش‌نمایش و انتشار خدمت‌های دستگاه خود، تاریخچه و بازگرداندن نسخه‌ها، صف پیشنهادهای دانش",
    "admin": "همه کارها، به‌علاوه کاربران و گزارش کارهای کارکنان",
}

INTENT_LABELS = {
    "documents": "مدارک",
    "cost": "هزینه",
    "duration": "مدت",
    "website": "سایت",
    "steps": "مراحل",
    "register": "ثبت‌نام",
    "in_person": "مراجعه حضوری",
    "provider": "دستگاه و تماس",
    "laws": "قوانین",
    "audience": "مخاطبان",
    "track": "پیگیری",
    "help": "راهنما",
    "thanks": "تشکر",
    "greeting": "سلام و احوال‌پرسی",
}
SUGGESTION_KINDS = {"alias": "نام دیگر (alias)", "need": "نیاز (need)"}
SUGGESTION_STATUS = {"open": "باز", "accepted": "پذیرفته", "rejected": "رد شده"}
SUGGESTION_SOURCES = {"unanswered": "پرسش بی‌پاسخ", "desk": "میز پشتیبانی"}
PLATFORMS = {"telegram": "تلگرام", "bale": "بله"}

# What the audit trail says a console user did (the `action` column; the CLI's rows keep their commands).
ACT_LOGIN = "ورود به کنسول"
ACT_LOGIN_FAILED = "ورود ناموفق"
ACT_LOGOUT = "خروج از کنسول"
ACT_UNMASK_REQUEST = "نمایش اطلاعات شخصی درخواست"
ACT_UNMASK_CONVERSATION = "نمایش اطلاعات شخصی گفت‌وگو"
ACT_SET_STATUS = "requests set-status"
ACT_EXPORT = "خروجی CSV"
ACT_HANDLED = "رسیدگی به پرسش بی‌پاسخ"
ACT_SUGGEST = "پیشنهاد به ویرایشگر"
ACT_PUBLISH = "انتشار خدمت"
ACT_REVERT = "بازگرداندن نسخه خدمت"
ACT_SUGGESTION_ACCEPTED = "پذیرفتن پیشنهاد دانش"
ACT_SUGGESTION_REJECTED = "رد پیشنهاد دانش"
ACT_USER_ADD = "افزودن کاربر کنسول"
ACT_USER_DISABLE = "غیرفعال کردن کاربر کنسول"
ACT_USER_ENABLE = "فعال کردن دوباره کاربر کنسول"

# Messages shown on pages.
LOGIN_FAILED = "نام کاربری یا گذرواژه درست نیست."
LOGIN_THROTTLED = "تلاش‌های ناموفق زیاد بود؛ لطفاً {minutes} دقیقه دیگر دوباره امتحان کنید."
CSRF_FAILED = "این فرم منقضی یا نامعتبر است (CSRF). صفحه را دوباره باز کنید و از نو بفرستید."
FORBIDDEN = "نقش شما اجازه این کار را نمی‌دهد."
NOT_FOUND = "چنین صفحه‌ای نیست، یا دیدن آن برای شما مجاز نیست."
STATUS_CHANGED = "وضعیت {code} شد «{label}». شهروند در گفت‌وگو باخبر می‌شود."
REASON_NEEDED = "برای دیدن اطلاعات شخصی، دلیل را بنویسید (دست‌کم {n} نویسه)."
MARKED_HANDLED = "پرسش «{text}» رسیدگی‌شده علامت خورد."
SUGGESTION_SENT = "پیشنهاد برای ویرایشگران «{title}» ثبت شد."
SUGGESTION_INVALID = "خدمت و متن پیشنهاد را بنویسید."
USER_ADDED = "کاربر «{name}» با نقش {role} ساخته شد."
USER_DISABLED = "کاربر «{name}» غیرفعال شد و از همه نشست‌هایش بیرون رفت."
USER_ENABLED = "کاربر «{name}» دوباره فعال شد."
USER_INVALID = "نام کاربری (حرف و رقم لاتین، نقطه، خط تیره؛ ۳ تا ۳۲ نویسه)، نقش و گذرواژه (دست‌کم {n} نویسه) لازم است."
USER_TAKEN = "کاربری به نام «{name}» هست."
USER_OTHER_AGENCY = "مدیر یک دستگاه فقط کاربران همان دستگاه را می‌سازد و می‌بیند."
PERIOD_INVALID = "تاریخ را به شکل ۱۴۰۵/۰۸/۳۰ بنویسید."
HIDDEN = "پنهان"
OTHER_AGENCY_EXCHANGE = "پیام‌های این بخش درباره خدمت دستگاه دیگری است و نمایش داده نمی‌شود."
UNKNOWN_SERVICE = "خدمت {id} (در دانش فعلی نیست)"

# The service editor.
EDITOR_PUBLISHED = "«{title}» منتشر شد (نسخه {version}). بات در چند ثانیه پاسخ‌هایش را با آن می‌دهد."
EDITOR_REVERTED = "«{title}» به نسخه {old} برگشت (نسخه تازه {version})."
EDITOR_INVALID = "این ویرایش منتشر نشد: {n} مشکل دارد. پرونده روی دیسک دست نخورد."
EDITOR_VALID = "بدون مشکل: این ویرایش با همه دانش بررسی شد و آماده انتشار است."
EDITOR_OUTSIDE = ("پرونده این خدمت از وقتی فرم را باز کردید بیرون از کنسول (git یا ویرایشگر متن) تغییر کرده است؛"
                  " چیزی بازنویسی نشد. تغییر را در زیر ببینید، صفحه را دوباره باز کنید و ویرایش را از نو اعمال کنید.")
EDITOR_EXISTS = "پرونده‌ای به نام {file} هست؛ شناسه دیگری بگذارید یا همان خدمت را ویرایش کنید."
EDITOR_ID_FIXED = "شناسه خدمتِ موجود در کنسول عوض نمی‌شود (نسخه‌ها و پیوندها به آن بسته‌اند)."
EDITOR_OTHER_AGENCY = "دستگاه اجرایی یا دستگاه مادر این خدمت باید «{agency}» باشد؛ خدمت دستگاه دیگر را نمی‌توانید منتشر کنید."
EDITOR_PREVIEW_NEEDS_SERVICE = "پیش‌نمایش وقتی ممکن است که خود این خدمت مشکلی نداشته باشد."
EDITOR_PREVIEW_NEEDS_QUESTION = "پرسش شهروند را بنویسید."
EDITOR_CARD_FAILED = "شناسنامه خوانده نشد: {reason}"
EDITOR_CARD_MISSING = "یک پرونده .txt یا .docx شناسنامه خدمت را انتخاب کنید."
EDITOR_SUGGESTION = ("پیشنهاد «{text}» به‌عنوان {kind} به فرم افزوده شد؛ بررسی و پیش‌نمایش کنید و منتشر کنید."
                     " با انتشار، پیشنهاد پذیرفته‌شده ثبت می‌شود.")
EDITOR_SUGGESTION_DONE = "پیشنهاد {ref} پذیرفته ثبت شد."
SUGGESTION_FROM_TICKET = "از تیکت {ticket}"
SUGGESTION_REASON_NEEDED = "برای رد کردن، دلیل را بنویسید."
SUGGESTION_REJECTED = "پیشنهاد رد شد و دلیل آن ثبت شد."
SUGGESTION_CLOSED = "این پیشنهاد دیگر باز نیست."
EDITOR_DISK_AUTHOR = "disk"
EDITOR_DISK_NOTE = "پرونده روی دیسک پیش از این انتشار (تغییر بیرون از کنسول یا نسخه آغازین)"
EDITOR_REVERT_NOTE = "بازگرداندن نسخه {old}"
EDITOR_CHANGED_OUTSIDE = "بیرون از کنسول تغییر کرده"

# The console-user command line.
CLI_PASSWORD = "گذرواژه: "
CLI_PASSWORD_AGAIN = "دوباره گذرواژه: "
CLI_PASSWORD_MISMATCH = "دو گذرواژه یکی نبودند."
CLI_PASSWORD_SHORT = "گذرواژه باید دست‌کم {n} نویسه باشد."
CLI_BAD_NAME = "نام کاربری باید ۳ تا ۳۲ نویسه از حرف و رقم لاتین، نقطه، زیرخط یا خط تیره باشد."
CLI_ADDED = "✔ کاربر «{name}» با نقش {role}{agency} ساخته شد."
CLI_AGENCY = " در دستگاه «{agency}»"
CLI_AGENCY_UNKNOWN = ("⚠ هیچ خدمتی در دانش فعلی دستگاه (provider) یا دستگاه مادر (parent_agency) «{agency}» را ندارد؛"
                      " این کاربر فعلاً چیزی نمی‌بیند. نام دستگاه را با پرونده‌های knowledge/services مقایسه کنید.")
CLI_NO_USER = "کاربری به نام «{name}» نیست."
CLI_DISABLED = "✔ کاربر «{name}» غیرفعال شد (نشست‌هایش بسته شد)."
CLI_NO_USERS = "هنوز کاربری نیست: python -m bot console-user add NAME --role admin"
CLI_ALL_AGENCIES = "همه دستگاه‌ها"
CLI_ACTIVE = "فعال"
CLI_INACTIVE = "غیرفعال"
CLI_SERVING = "کنسول وب روی http://{host}:{port}/ (Ctrl+C برای پایان)"

"""One way of writing dates for people, in the app, the admin and the PDFs: "14 Mar 1992".

Django's own English formats write "March 14, 1992" in one place and "Dec. 2" in another; a
clinic reads one. Entry stays with the browser's date picker (ISO dates), so no input formats
change here.
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"

"""Kazakh number and date formats (Django ships none for `kk`, so figures had no digit grouping).

As in Kazakhstan's official statistics: decimal comma, a non-breaking space between thousands,
day.month.year dates.
"""

# One date format per language (issue: ISO, long and US dates side by side): day.month.year.
DATE_FORMAT = "d.m.Y"
LONG_DATE_FORMAT = "j E Y ж."  # genitive month, lower case: "5 қыркүйек 2019 ж."
TIME_FORMAT = "G:i"
DATETIME_FORMAT = "d.m.Y H:i"
YEAR_MONTH_FORMAT = "F Y ж."
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%y %H:%M", "%Y-%m-%d %H:%M:%S"]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"  # non-breaking space
NUMBER_GROUPING = 3

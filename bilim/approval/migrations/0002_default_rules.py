"""Default validation rules of the census forms (catalog.md); a ministry edits them afterwards."""

from django.db import migrations

RULES = [
    # code, data set, names (kk, ru, en), left, op, right, for_each, condition, right offset, skip, importance
    ("GIRLS_LE_TOTAL", "SCHOOL_CENSUS",
     ("Қыздар барлығынан аспайды (сынып бойынша)", "Девочки не больше всего (по классу)",
      "Girls do not exceed the total (per grade)"),
     "ENROL[SEX=F,GRADE=$]", "<=", "ENROL[GRADE=$]", "GRADE", "", 0, True, "blocking"),
    ("REPEAT_LE_LAST_YEAR", "SCHOOL_CENSUS",
     ("Қайта оқитындар өткен жылғы сынып контингентінен аспайды",
      "Второгодники не больше прошлогоднего контингента класса",
      "Repeaters do not exceed last year's enrolment in the grade"),
     "REPEAT[GRADE=$]", "<=", "ENROL[GRADE=$]", "GRADE", "", -1, True, "warning"),
    ("TEACHERS_IF_PUPILS", "SCHOOL_CENSUS",
     ("Оқушылар болса, мұғалімдер бар", "Есть ученики — есть учителя", "Teachers where there are pupils"),
     "TEACH", ">", "0", "", "ENROL > 0", 0, False, "blocking"),
    ("PUPILS_LE_3X_CAPACITY", "SCHOOL_CENSUS",
     ("Оқушылар жобалық қуаттың 3 еселенгенінен аспайды", "Учеников не больше 3 × проектной мощности",
      "Pupils do not exceed 3 × design capacity"),
     "ENROL", "<=", "3 * CAPACITY", "", "", 0, True, "warning"),
    ("PRESCH_TEACHERS_IF_CHILDREN", "PRESCHOOL_CENSUS",
     ("Балалар болса, тәрбиешілер бар", "Есть дети — есть педагоги", "Teachers where there are children"),
     "TEACH", ">", "0", "", "PRESCH_ENROL > 0", 0, False, "blocking"),
]


def load(apps, schema_editor):
    DataSet = apps.get_model("metadata", "DataSet")
    ValidationRule = apps.get_model("approval", "ValidationRule")
    for code, ds, (kk, ru, en), left, op, right, for_each, cond, offset, skip, importance in RULES:
        data_set = DataSet.objects.filter(code=ds).first()
        if data_set is None:
            continue
        ValidationRule.objects.update_or_create(code=code, defaults=dict(
            data_set=data_set, name_kk=kk, name_ru=ru, name_en=en, left=left, operator=op, right=right,
            for_each=for_each, condition=cond, right_period_offset=offset, skip_if_missing=skip,
            importance=importance))


def unload(apps, schema_editor):
    apps.get_model("approval", "ValidationRule").objects.filter(code__in=[r[0] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("approval", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]

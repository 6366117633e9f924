"""Rules limited to some options of their for-each category, and the cohort-flow rules (issue 12).

Promotion plus repetition of a grade cannot exceed its pupils of the year before (the UIS
reconstructed cohort: ``p + r <= 1``): the pupils of grade g+1 who are not repeating it, plus those
repeating grade g, all sat in grade g last year. For grade 11 the promoted are its graduates. The
pre-school class G00 is not part of the flow (new entrants to grade 1 come from outside it), hence
the limit G01..G10.
"""

from django.db import migrations, models

RULES = [
    # code, data set, names (kk, ru, en), left, op, right, for_each, options, condition, right offset, skip, importance
    ("PROMOTED_REPEATERS_LE_LAST_YEAR", "SCHOOL_CENSUS",
     ("Келесі сыныпқа көшкендер мен қайталап оқитындар өткен жылғы сынып контингентінен аспайды",
      "Переведённые в следующий класс и второгодники не больше прошлогоднего контингента класса",
      "Promoted and repeating pupils do not exceed last year's enrolment in the grade"),
     "ENROL[GRADE=$+1] - REPEAT[GRADE=$+1] + REPEAT[GRADE=$]", "<=", "ENROL[GRADE=$]", "GRADE", "G01..G10",
     "ENROL@-1[GRADE=$] > 0", -1, False, "warning"),
    ("GRADUATES_REPEATERS_LE_LAST_YEAR", "SCHOOL_CENSUS",
     ("11-сыныпты бітіргендер мен оны қайталап оқитындар өткен жылғы контингенттен аспайды",
      "Выпускники 11 класса и его второгодники не больше прошлогоднего контингента класса",
      "Grade 11 graduates and repeaters do not exceed last year's enrolment in grade 11"),
     "GRAD@-1[GRADE=G11] + REPEAT[GRADE=G11]", "<=", "ENROL[GRADE=G11]", "", "",
     "ENROL@-1[GRADE=G11] > 0", -1, False, "warning"),
]


def load(apps, schema_editor):
    DataSet = apps.get_model("metadata", "DataSet")
    ValidationRule = apps.get_model("approval", "ValidationRule")
    for code, ds, (kk, ru, en), left, op, right, for_each, options, cond, offset, skip, importance in RULES:
        data_set = DataSet.objects.filter(code=ds).first()
        if data_set is None:
            continue
        ValidationRule.objects.update_or_create(code=code, defaults=dict(
            data_set=data_set, name_kk=kk, name_ru=ru, name_en=en, left=left, operator=op, right=right,
            for_each=for_each, for_each_options=options, condition=cond, right_period_offset=offset,
            skip_if_missing=skip, importance=importance))


def unload(apps, schema_editor):
    apps.get_model("approval", "ValidationRule").objects.filter(code__in=[r[0] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("approval", "0002_default_rules")]
    operations = [
        migrations.AddField(
            model_name="validationrule",
            name="for_each_options",
            field=models.CharField(
                blank=True, max_length=200,
                help_text="Only these options of that category: codes separated by commas, or a range such as "
                          "G01..G10 in the category's order; empty: every option"),
        ),
        migrations.RunPython(load, unload),
    ]

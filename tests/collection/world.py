"""A tiny registry for value tests: the republic, a region, a district, its education office, three schools."""

from __future__ import annotations

import datetime as dt

START = dt.date(2000, 1, 1)


def build_world(act):
    from bilim.registry import services as rs

    kz = rs.open_unit(rs.UnitSpec("KZ", "republic", "Қазақстан", "Казахстан", "Kazakhstan"), START, act)
    region = rs.open_unit(rs.UnitSpec("KZ-11", "region", "Ақмола", "Акмолинская", "Akmola Region", parent=kz),
                          START, act)
    district = rs.open_unit(rs.UnitSpec("KZ-11-001", "district", "Аршалы", "Аршалынский", "Arshaly District",
                                        parent=region), START, act)
    office = rs.open_unit(rs.UnitSpec("KZ-11-001-EDU", "authority", "Білім бөлімі", "Отдел образования",
                                      "Arshaly education office", parent=district,
                                      attrs={"subtype": "DISTRICT_OFFICE"}), START, act)
    schools = [
        rs.open_unit(rs.UnitSpec(f"S{i}", "organization", f"№{i} мектеп", f"Школа №{i}", f"School {i}",
                                 parent=district, governing_body=office,
                                 attrs={"org_type": "SCHOOL", "area": "RURAL"}), START, act)
        for i in (1, 2, 3)
    ]
    late = rs.open_unit(rs.UnitSpec("S9", "organization", "Жаңа мектеп", "Новая школа", "New school",
                                    parent=district, governing_body=office, attrs={"org_type": "SCHOOL"}),
                        dt.date(2030, 1, 1), act)
    return {"kz": kz, "region": region, "district": district, "office": office, "schools": schools, "late": late}

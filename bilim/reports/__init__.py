"""Printed reports (PDF): passports, comparisons, equity, collegium protocols, control, capital programmes.

`kinds` gathers each report's figures from the same selectors and analytics service the pages use,
`charts` draws their charts as SVG, `render` turns the templates into PDF with WeasyPrint.
"""

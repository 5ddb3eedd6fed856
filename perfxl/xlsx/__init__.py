"""The .xlsx package layer: parts, relationships, content types, shared strings, styles, worksheets,
comments with their VML and threads, the workbook part — read and edited in place.

It knows the file format and nothing of forms (no labels, no findings, no authors of its own): the
reading (:mod:`perfxl.read.workbook`), the marks (:mod:`perfxl.mark.provenance`) and the writers
(:mod:`perfxl.write.patch`, :mod:`perfxl.write.losses`) are built on it, the way openpyxl keeps
``packaging/`` and python-docx ``opc/`` apart from their documents. Whatever a caller must name
(a comment's author, a thread's person, a font) it passes in.

    cells          A1 addresses
    xml            namespaces, the one XML parser, schema-ordered insertion, text XML can hold
    package        the zip: parts read once, raw copy on save, relationships, content types
    sharedstrings  the one reading of string items (shared strings, inline strings, comment text)
    styles         styles.xml: fills, number formats, derived cell formats
    sheet          a worksheet part: cells, rows, merged ranges, the byte-preserving splice
    comments       comments parts, their VML drawings, Excel 365 threads and persons
    workbookpart   xl/workbook.xml: sheets, defined names, calcPr, the calc chain; docProps/app.xml
"""

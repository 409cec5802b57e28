"""lstm-trace serve: an exercise to practise in the browser, graded as it is typed (app.py), the answers
kept in a file check reads (sheet.py)."""

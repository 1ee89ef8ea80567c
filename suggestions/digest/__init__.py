"""The monthly digest of adopted improvements: a page, an archive, mail, a CSV export and an Atom feed.

``report`` works out a month from the suggestion box (what every employee may
see, small departments rolled up); ``services`` holds the editorial steps
(draft → approved → sent); ``sending`` mails a month once; ``views`` and
``cli`` are the ways in.
"""

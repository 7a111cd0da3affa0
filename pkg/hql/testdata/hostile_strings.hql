SELECT body FROM logs WHERE body = 'x''; DROP TABLE logs; --' OR body = '\' OR body = '\\''' OR service = 'a`b"c' OR body = '?' OR body = '$1' OR body = 'line
break	tab' OR attributes['it''s'] = '/* no */'

"""The web console for support staff and agency admins (`python -m bot console`): a channel-like layer
beside handlers/, on the same storage protocols, masking, export and audit trail as the staff command line.

app.py is the plumbing (sessions, roles, CSRF, errors, headers), auth.py the secrets and brakes, scope.py
what an agency's user may see, render.py the templates' filters, pages/ one module per area, server.py the
application with its pages and uvicorn, users.py the `console-user` command, texts.py every sentence.
"""

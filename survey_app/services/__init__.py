"""The domain's reads and writes: campaigns, units, invitations, drafts, ballots (the only ballot writer),
paper, review, audit, users, dashboard, results and scores. Functions take a session and only flush; the
request or command commits once. Nothing here touches Flask's request."""

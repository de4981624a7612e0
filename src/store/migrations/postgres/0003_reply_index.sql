-- Replies by the message they answer: duplicates and the gaps report look them up.
CREATE INDEX messages_by_reply ON messages (in_reply_to);

-- WeChat: access tokens shared by every replica (one fetch invalidates the previous token),
-- and conversations whose reply window or quota WeChat reported closed.
CREATE TABLE wechat_tokens (
    app TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
ALTER TABLE conversations ADD COLUMN channel_blocked TEXT;

-- bench/run: the rows a first collection cycle writes, written alone by the
-- sqlite3 shell into a fresh relance schema (`relance init`: the same
-- tables, indexes and triggers), in one bulk statement per table. The sizes
-- are those the cycle writes (an SMS payload with its text, a file entry,
-- a case state); the counts replace @OUTBOX@, @FILE@ and @CASES@. Foreign
-- keys are not checked by the shell, so no account needs to exist: this is
-- less work than the cycle's own writes, never more.
PRAGMA synchronous = NORMAL;
PRAGMA cache_size = -65536;
BEGIN;
INSERT INTO outbox (idempotency_key, account_key, channel, action, due_at, payload,
                    policy_version, rule, created_at)
SELECT printf('A-BR-%07d|v1|escada-isp/negociacao/action#%d|1721649600|1', value / 2, value % 2),
       value * 16 / 10, 'sms', 'send', 1721649600,
       printf('{"customer_id":"C-BR-%07d","account_id":"A-BR-%07d","to":"+5511987654321",'
              || '"text":"Olá, Fulano de Tal. Sua fatura de R$ 129,90, vencida em 10/07/2024, '
              || 'ainda consta em aberto. Se já pagou, desconsidere esta mensagem."}', value, value),
       1, 'escada-isp/negociacao/action#2', 1721649600
FROM generate_series(1, @OUTBOX@);
INSERT INTO file_entries (customer_key, seq, at, account_key, kind, author, body, prev_hash, hash)
SELECT value, 3, 1721649600, value, 'action', 'relance',
       'sms send to +5511987654321 (escada-isp/negociacao/action#2, policy v1): delivered (recorded)',
       randomblob(32), randomblob(32)
FROM generate_series(1, @FILE@);
INSERT INTO cases (account_key, stage, stage_since, policy_version, rule, next_check_at, state)
SELECT value, 'negociacao', 1721649600, 1, '', 1721736000,
       '{"strategy":"escada-isp","stage":"negociacao","entered":1721649600,'
       || '"actions":[{"done":1,"last":1721649600},{"done":1,"last":1721649600}],"notice":1721649600}'
FROM generate_series(1, @CASES@);
UPDATE outbox SET state = 'done', done_at = 1721649600, outcome = 'delivered (recorded)';
COMMIT;

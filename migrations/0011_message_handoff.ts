import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.
// Recovery messages get a 'sending' status: the hand-off to SMTP/Twilio has started (committed right before the
// provider call). 'claimed' now means "claimed, nothing handed off yet", so a retry finding it may send; a retry
// finding 'sending' cannot know whether the provider got the message and records possibly_sent instead.

// 0007 declared the CHECK on the column, so PostgreSQL named it <table>_<column>_check.
const CONSTRAINT = 'recovery_messages_status_check';
const STATUSES_BEFORE = ['claimed', 'sent', 'failed', 'possibly_sent', 'delivered', 'undelivered'];
const STATUSES_AFTER = [...STATUSES_BEFORE, 'sending'];

async function replaceStatusCheck(db: Kysely<any>, statuses: string[]): Promise<void> {
  const list = sql.join(statuses.map((status) => sql.lit(status)));
  await sql`alter table recovery_messages drop constraint ${sql.id(CONSTRAINT)}`.execute(db);
  await sql`alter table recovery_messages add constraint ${sql.id(CONSTRAINT)} check (status in (${list}))`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  await replaceStatusCheck(db, STATUSES_AFTER);
}

export async function down(db: Kysely<any>): Promise<void> {
  // Before 0011 'claimed' meant "claimed, maybe sent": the old code turns such a row into possibly_sent, never resends.
  await sql`update recovery_messages set status = 'claimed' where status = 'sending'`.execute(db);
  await replaceStatusCheck(db, STATUSES_BEFORE);
}

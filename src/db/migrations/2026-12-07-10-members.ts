import { sql, type Kysely } from 'kysely';

// Frozen in time. Teams: a practice has members (owner, practitioner, assistant), and one account
// (a user, unique by email) may be a member of several practices. Every user of version 1 ran the
// practice they signed up with: each becomes its `owner` member, with the user's id as the member's
// id (so the actor ids already in the ledger name that member), joined when the account was made.
// Invitations are one-time links, stored as hashes like every other secret.

export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;
  await s
    .createTable('members')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practices.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    // null: the practice's time zone.
    .addColumn('time_zone', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    // null while the invitation is not accepted: the member cannot act yet.
    .addColumn('joined_at', 'text')
    .addUniqueConstraint('members_practice_user', ['practice_id', 'user_id'])
    .execute();
  await s.createIndex('members_user').on('members').columns(['user_id']).execute();

  await s
    .createTable('member_invitations')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('member_id', 'text', (c) => c.notNull().references('members.id'))
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('member_invitations_member').on('member_invitations').columns(['member_id']).execute();

  await db
    .insertInto('members')
    .columns(['id', 'practice_id', 'user_id', 'role', 'name', 'active', 'time_zone', 'created_at', 'joined_at'])
    .expression(
      db
        .selectFrom('users')
        .select([
          'id',
          'practice_id',
          sql<string>`id`.as('user_id'),
          sql<string>`'owner'`.as('role'),
          'name',
          sql<number>`1`.as('active'),
          sql<null>`null`.as('time_zone'),
          'created_at',
          sql<string>`created_at`.as('joined_at'),
        ]),
    )
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}

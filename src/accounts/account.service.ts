import { randomBytes } from 'node:crypto';
import { In } from 'typeorm';
import type { Clock } from '../platform/clock';
import { maskEmail } from './masking';
import { type Database, type Tx, isUniqueViolation } from '../platform/database';
import { AppError, badRequest, conflict, notFound, unauthenticated } from '../platform/http/app-error';
import type { CredentialVerifier } from '../platform/http/auth';
import type { Principal } from '../platform/http/principal';
import type { TokenService, UserPrincipal } from '../platform/http/tokens';
import { newId } from '../platform/ids';
import type { PasswordHasher } from './password';
import { maskPhone } from './phone';
import type { RegisterInput } from './account.schemas';
import { type Session, SessionRow } from './session.entity';
import type { SessionCache } from './session-cache';
import { UserRow } from './user.entity';

export interface NewUser {
  email: string;
  password: string;
  displayName?: string;
}

export class AccountService implements CredentialVerifier {
  /** Compared against when the email is unknown, so a failed login takes as long whether or not the account exists. */
  private readonly decoyHash: Promise<string>;

  constructor(
    private readonly deps: {
      db: Database;
      tokens: TokenService;
      clock: Clock;
      hasher: PasswordHasher;
      /** Sessions recently found in the database; undefined = read every time (docs/operations.md § Replicas says when each). */
      sessions?: SessionCache;
    },
  ) {
    this.decoyHash = deps.hasher.hash(randomBytes(16).toString('hex'));
  }

  /**
   * The signed-in user a bearer token stands for, while its session lasts: a primary-key read of `sessions`,
   * or the session cache while it is exact, so a sign-out or a password change counts at once on every replica.
   */
  async verify(token: string): Promise<Principal | undefined> {
    const principal = this.deps.tokens.verify(token);
    if (!principal) return undefined;
    const { sessions } = this.deps;
    if (sessions?.has(principal.sessionId, principal.userId)) return principal;
    const mark = sessions?.mark();
    const { rows } = await this.deps.db.read((tx) =>
      this.deps.db.sql<{ user_id: string }>(tx, 'SELECT user_id FROM sessions WHERE id = ?', [principal.sessionId]),
    );
    if (rows[0]?.user_id !== principal.userId) return undefined;
    if (sessions && mark) sessions.remember(principal.sessionId, principal.userId, mark);
    return principal;
  }

  /** Ends the caller's session: its token stops working at once. */
  async logout(principal: Principal): Promise<void> {
    const sessionId = sessionOf(principal);
    await this.deps.db.statement((tx) => tx.delete(SessionRow, { id: sessionId }));
    await this.deps.sessions?.ended({ sessionId });
  }

  /**
   * Tells every replica that a user's sessions were deleted, for a caller that deleted them inside its own
   * transaction (setFactoryUserDisabled): called once that transaction has committed.
   */
  async sessionsEnded(userId: string): Promise<void> {
    await this.deps.sessions?.ended({ userId });
  }

  /** Changes the caller's password after checking the current one, and ends every other session of theirs. */
  async changePassword(principal: Principal, currentPassword: string, newPassword: string): Promise<void> {
    const sessionId = sessionOf(principal);
    const user = await this.get((principal as UserPrincipal).userId);
    if (user.passwordHash === null) throw conflict('password_not_set', 'This account signs in with a code sent to its phone and has no password to change.');
    if (!(await this.deps.hasher.verify(currentPassword, user.passwordHash)).ok) throw new AppError(403, 'wrong_password', 'The current password is wrong.');
    const passwordHash = await this.deps.hasher.hash(newPassword);
    await this.deps.db.transaction(async (tx) => {
      // The checks above took a while: meanwhile another of the user's sessions may have changed the password
      // and ended this session. Then this change is refused: it would otherwise end the session that made the
      // other change and replace the password its owner just chose, from a session that no longer exists.
      const current = await tx.findOne(UserRow, { where: { id: user.id }, lock: this.deps.db.rowLock() });
      if (!(await tx.existsBy(SessionRow, { id: sessionId }))) throw unauthenticated('This session has ended: sign in again.');
      if (current?.passwordHash !== user.passwordHash) throw new AppError(403, 'wrong_password', 'The current password is wrong.');
      await tx.update(UserRow, { id: user.id }, { passwordHash });
      await tx.createQueryBuilder().delete().from(SessionRow).where('user_id = :userId AND id <> :sessionId', { userId: user.id, sessionId }).execute();
    });
    // Every session of the user is forgotten (the caller's own is simply read again).
    await this.sessionsEnded(user.id);
  }

  async purgeExpiredSessions(now: Date): Promise<number> {
    const result = await this.deps.db.transaction((tx) => tx.createQueryBuilder().delete().from(SessionRow).where('expires_at < :now', { now }).execute());
    return result.affected ?? 0;
  }

  /**
   * A consumer signs up and is signed in. Signing up again with an email that has a consumer account and
   * that account's password signs in (a double-tapped sign-up is harmless); any other taken email is a
   * 409. Every path costs one password hash (a new account's hash, or the check against the existing one),
   * so the time taken says no more than the status (docs/domain.md, "Accounts and access").
   */
  async register(input: RegisterInput): Promise<Session> {
    const existing = await this.deps.db.read((tx) => tx.findOneBy(UserRow, { email: input.email }));
    if (existing) return this.signInExisting(existing, input.password);
    let user: UserRow;
    try {
      user = await this.insertUser({ ...input, role: 'consumer', factoryId: null });
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'email_taken')) throw error;
      // The same sign-up sent twice at once: the other request made the account first. A second hash, only on this race.
      const winner = await this.deps.db.read((tx) => tx.findOneBy(UserRow, { email: input.email }));
      if (!winner) throw error;
      return this.signInExisting(winner, input.password);
    }
    return this.startSession(user);
  }

  /** Sign-up with a taken email: a sign-in if it is a consumer's and the password is theirs, else `email_taken`. */
  private async signInExisting(user: UserRow, password: string): Promise<Session> {
    const { ok } = await this.deps.hasher.verify(password, user.passwordHash ?? (await this.decoyHash));
    if (!ok || user.role !== 'consumer' || user.passwordHash === null) throw emailTaken();
    return this.startCheckedSession(user.id, user.passwordHash, emailTaken);
  }

  /**
   * The session of a phone number's owner, whose code was just verified inside `tx`: their consumer
   * account, made now if the number has none (no email, no password; shown by its masked number).
   */
  async phoneSession(tx: Tx, phone: string): Promise<{ session: Session; newAccount: boolean }> {
    const existing = await tx.findOneBy(UserRow, { phone });
    // As a password sign-in refuses it (the code's use is rolled back with this refusal).
    if (existing?.disabledAt) throw accountDisabled();
    const user =
      existing ??
      Object.assign(new UserRow(), {
        id: newId(),
        email: null,
        phone,
        passwordHash: null,
        role: 'consumer' as const,
        factoryId: null,
        displayName: maskPhone(phone).replace(/^\+86 /, ''),
        createdAt: this.deps.clock.now(),
        disabledAt: null,
      });
    if (!existing) await tx.insert(UserRow, user);
    return { session: await this.startSession(user, tx), newAccount: !existing };
  }

  async login(email: string, password: string): Promise<Session> {
    const user = await this.deps.db.read((tx) => tx.findOneBy(UserRow, { email }));
    const { ok, rehash } = await this.deps.hasher.verify(password, user?.passwordHash ?? (await this.decoyHash));
    if (!user || !user.passwordHash || !ok) throw invalidCredentials();
    // Said only to whoever knows the password: anyone else learns no more than from a wrong one.
    if (user.disabledAt) throw accountDisabled();
    const checkedHash = rehash ? await this.rehash(user.id, user.passwordHash, password) : user.passwordHash;
    return this.startCheckedSession(user.id, checkedHash, invalidCredentials);
  }

  /**
   * The session of a password sign-in, started only if the account is still as it was when the password was
   * checked. The check takes a while (it may wait its turn for the hasher), and meanwhile the password may have
   * been changed or an operator may have disabled the account; both end the account's sessions in their own
   * transaction, so a session started from the stale read would outlive them (a disabled factory user, or
   * whoever had the old password, signed in for 12 hours). The user's row is locked, as those transactions
   * lock it: either this session exists before they delete the sessions, or this sees what they changed.
   */
  private async startCheckedSession(userId: string, checkedHash: string, refusal: () => AppError): Promise<Session> {
    return this.deps.db.transaction(async (tx) => {
      const user = await tx.findOne(UserRow, { where: { id: userId }, lock: this.deps.db.rowLock() });
      if (!user || user.passwordHash !== checkedHash) throw refusal();
      if (user.disabledAt) throw accountDisabled();
      return this.startSession(user, tx);
    });
  }

  /**
   * Replaces a hash made the old way (scrypt, or argon2id at another cost) now that the password is known.
   * Only if the hash is still the one checked: a password changed meanwhile is not overwritten. When the
   * hasher is busy the sign-in still succeeds, and the next one tries again. Returns the hash the account has
   * for this password now: the new one if it was written, else the one checked.
   */
  private async rehash(userId: string, checkedHash: string, password: string): Promise<string> {
    let passwordHash: string;
    try {
      passwordHash = await this.deps.hasher.hash(password);
    } catch (error) {
      if (error instanceof AppError && error.code === 'server_busy') return checkedHash;
      throw error;
    }
    const { affected } = await this.deps.db.transaction((tx) => tx.update(UserRow, { id: userId, passwordHash: checkedHash }, { passwordHash }));
    return affected === 1 ? passwordHash : checkedHash;
  }

  /** Gives an account a phone number (E.164) to sign in with by code, e.g. the demo consumer's. */
  async setPhone(userId: string, phone: string): Promise<void> {
    try {
      await this.deps.db.transaction((tx) => tx.update(UserRow, { id: userId }, { phone }));
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('phone_taken', 'Another account has this phone number.');
      throw error;
    }
  }

  async createOperator(input: NewUser): Promise<UserRow> {
    return this.insertUser({ ...input, role: 'operator', factoryId: null });
  }

  /** Creates the operator named by BOOTSTRAP_OPERATOR_* unless that email already has an account. */
  async ensureOperator(input: NewUser): Promise<{ created: boolean }> {
    const existing = await this.deps.db.read((tx) => tx.findOneBy(UserRow, { email: storedEmail(input.email) }));
    if (existing) return { created: false };
    try {
      await this.createOperator(input);
      return { created: true };
    } catch (error) {
      // Another replica starting at the same moment created it first.
      if (error instanceof AppError && error.code === 'email_taken') return { created: false };
      throw error;
    }
  }

  /** Every operator's user id, inside the caller's transaction (to tell them all of something). */
  async operatorIds(tx: Tx): Promise<string[]> {
    return (await tx.find(UserRow, { select: { id: true }, where: { role: 'operator' } })).map((u) => u.id);
  }

  /** Whether anyone can run the platform yet: a fresh production database starts without an operator. */
  async hasOperator(): Promise<boolean> {
    return this.deps.db.read((tx) => tx.existsBy(UserRow, { role: 'operator' }));
  }

  /** A factory's portal user, created inside the factories module's transaction. */
  async createFactoryUser(tx: Tx, factoryId: string, input: NewUser): Promise<UserRow> {
    const user = await this.buildUser({ ...input, role: 'factory', factoryId });
    await this.insert(tx, user);
    return user;
  }

  async listFactoryUsers(tx: Tx, factoryId: string): Promise<UserRow[]> {
    return tx.find(UserRow, { where: { factoryId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** Each factory's portal users: how many, and how many of them are not disabled. */
  async countFactoryUsers(tx: Tx, factoryIds: readonly string[]): Promise<Map<string, { total: number; active: number }>> {
    if (factoryIds.length === 0) return new Map();
    const rows = await tx
      .createQueryBuilder(UserRow, 'u')
      .select('u.factory_id', 'factoryId')
      .addSelect('COUNT(*)', 'total')
      .addSelect('SUM(CASE WHEN u.disabled_at IS NULL THEN 1 ELSE 0 END)', 'active')
      .where({ factoryId: In([...factoryIds]) })
      .groupBy('u.factory_id')
      .getRawMany<{ factoryId: string; total: number | string; active: number | string }>();
    return new Map(rows.map((r) => [r.factoryId, { total: Number(r.total), active: Number(r.active) }]));
  }

  /**
   * Disables a factory's portal user (it cannot sign in, and every session of it ends at once) or enables
   * it again. Doing either twice is fine. A user of another factory is "not found". The caller's transaction
   * deletes the sessions: once it commits, the caller calls `sessionsEnded` for a disabled user.
   */
  async setFactoryUserDisabled(tx: Tx, factoryId: string, userId: string, disabled: boolean): Promise<UserRow> {
    const user = await tx.findOne(UserRow, { where: { id: userId }, lock: this.deps.db.rowLock() });
    if (!user || user.role !== 'factory' || user.factoryId !== factoryId) throw notFound('The user');
    if (disabled && !user.disabledAt) {
      user.disabledAt = this.deps.clock.now();
      await tx.update(UserRow, { id: userId }, { disabledAt: user.disabledAt });
      await tx.delete(SessionRow, { userId });
    } else if (!disabled && user.disabledAt) {
      user.disabledAt = null;
      await tx.update(UserRow, { id: userId }, { disabledAt: null });
    }
    return user;
  }

  async get(userId: string): Promise<UserRow> {
    const user = await this.deps.db.read((tx) => tx.findOneBy(UserRow, { id: userId }));
    if (!user) throw notFound('The account');
    return user;
  }

  /** The consumers (shop owners among them) with this phone number (E.164) or email (any case): an operator's search. */
  async consumersByContact(contact: { phone?: string; email?: string }): Promise<UserRow[]> {
    const where = [
      ...(contact.phone ? [{ phone: contact.phone, role: 'consumer' as const }] : []),
      ...(contact.email ? [{ email: contact.email.toLowerCase(), role: 'consumer' as const }] : []),
    ];
    return where.length === 0 ? [] : this.deps.db.read((tx) => tx.find(UserRow, { where, order: { createdAt: 'ASC', id: 'ASC' } }));
  }

  /** These users' names and contacts, by id: what an operator's search shows of whose a record is. */
  async contactsOf(userIds: readonly string[]): Promise<Map<string, Pick<UserRow, 'id' | 'displayName' | 'phone' | 'email'>>> {
    const ids = [...new Set(userIds)];
    if (ids.length === 0) return new Map();
    const users = await this.deps.db.read((tx) =>
      tx.find(UserRow, { select: { id: true, displayName: true, phone: true, email: true }, where: { id: In(ids) } }),
    );
    return new Map(users.map((u) => [u.id, u]));
  }

  /** Each user's phone number (E.164), null for one who has none: what a shop owner's order list shows, masked unless consented. */
  async phonesOf(userIds: readonly string[]): Promise<Map<string, string | null>> {
    if (userIds.length === 0) return new Map();
    const users = await this.deps.db.read((tx) => tx.find(UserRow, { select: { id: true, phone: true }, where: { id: In([...new Set(userIds)]) } }));
    return new Map(users.map((u) => [u.id, u.phone]));
  }

  private async insertUser(input: NewUser & Pick<UserRow, 'role' | 'factoryId'>): Promise<UserRow> {
    // Hash outside the transaction: hashing is slow (and may wait its turn) and must not hold the database.
    const user = await this.buildUser(input);
    await this.deps.db.transaction((tx) => this.insert(tx, user));
    return user;
  }

  private async buildUser(input: NewUser & Pick<UserRow, 'role' | 'factoryId'>): Promise<UserRow> {
    const email = storedEmail(input.email);
    return Object.assign(new UserRow(), {
      id: newId(),
      email,
      phone: null,
      passwordHash: await this.deps.hasher.hash(input.password),
      role: input.role,
      factoryId: input.factoryId,
      displayName: input.displayName ?? defaultDisplayName(email, input.role),
      createdAt: this.deps.clock.now(),
      disabledAt: null,
    });
  }

  private async insert(tx: Tx, user: UserRow): Promise<void> {
    try {
      await tx.insert(UserRow, user);
    } catch (error) {
      if (isUniqueViolation(error)) throw emailTaken();
      throw error;
    }
  }

  /** A new session and the bearer token that names it; inside `tx` when given, else on its own. */
  private async startSession(user: UserRow, tx?: Tx): Promise<Session> {
    const sessionId = newId();
    const principal: UserPrincipal =
      user.role === 'factory' ? { role: 'factory', factoryId: user.factoryId!, userId: user.id, sessionId } : { role: user.role, userId: user.id, sessionId };
    const issued = this.deps.tokens.issue(principal);
    const row = { id: sessionId, userId: user.id, createdAt: this.deps.clock.now(), expiresAt: issued.expiresAt };
    if (tx) await tx.insert(SessionRow, row);
    else await this.deps.db.statement((own) => own.insert(SessionRow, row));
    return { ...issued, user };
  }
}

const emailTaken = () => conflict('email_taken', 'An account with this email already exists.');
/**
 * An email as `users.email` holds it, trimmed and lower-cased, as sign-in looks it up. Requests are already (the
 * `email` schema), but BOOTSTRAP_OPERATOR_EMAIL is only checked as an email: stored as configured, `Ops@Example.com`
 * could never sign in on SQLite (its comparison is case-sensitive) and a restart made a second operator.
 */
const storedEmail = (email: string) => email.trim().toLowerCase();

/** What `display_name` (100 characters) holds at most. */
const DISPLAY_NAME_MAX = 100;

/**
 * The name others see when the sign-up gave none. A consumer's is their email masked as operators see the
 * contact beside it (`z***@qq.com`, as a phone sign-up's is its masked number): the whole local part there
 * would undo that mask, and in China it is often the phone or QQ number itself (13812345678@139.com). Staff
 * (operators, factory users) are shown with their email anyway: theirs is the local part. Either is cut to
 * the column's 100 characters (an email may be 254): a longer one failed the insert on MySQL, a 500.
 */
function defaultDisplayName(email: string, role: UserRow['role']): string {
  const name = [...(role === 'consumer' ? maskEmail(email) : email.slice(0, email.lastIndexOf('@')))];
  if (name.length <= DISPLAY_NAME_MAX) return name.join('');
  return role === 'consumer' ? `${name[0]}***` : name.slice(0, DISPLAY_NAME_MAX).join('');
}

const invalidCredentials = () => new AppError(401, 'invalid_credentials', 'The email or password is wrong.');
const accountDisabled = () => new AppError(403, 'account_disabled', 'This account has been disabled by an operator.');

/** The session a signed-in caller's token belongs to; an API key has none (an operator revokes keys). */
function sessionOf(principal: Principal): string {
  if ('sessionId' in principal && principal.sessionId) return principal.sessionId;
  throw badRequest('not_a_session', 'Only a signed-in user has a session to end or a password to change; a factory API key is revoked by an operator.');
}

import { randomBytes } from 'node:crypto';
import type { Clock } from '../platform/clock';
import { type Database, type Tx, isUniqueViolation } from '../platform/database';
import { AppError, conflict, notFound } from '../platform/http/app-error';
import type { Principal } from '../platform/http/principal';
import type { TokenService } from '../platform/http/tokens';
import { newId } from '../platform/ids';
import type { PasswordHasher } from './password';
import type { RegisterInput } from './account.schemas';
import { UserRow } from './user.entity';

export interface Session {
  token: string;
  expiresAt: Date;
  user: UserRow;
}

export interface NewUser {
  email: string;
  password: string;
  displayName?: string;
}

export class AccountService {
  /** Compared against when the email is unknown, so a failed login takes as long whether or not the account exists. */
  private readonly decoyHash: Promise<string>;

  constructor(private readonly deps: { db: Database; tokens: TokenService; clock: Clock; hasher: PasswordHasher }) {
    this.decoyHash = deps.hasher.hash(randomBytes(16).toString('hex'));
  }

  /** A consumer signs up and is signed in. */
  async register(input: RegisterInput): Promise<Session> {
    const user = await this.insertUser({ ...input, role: 'consumer', factoryId: null });
    return this.sessionFor(user);
  }

  async login(email: string, password: string): Promise<Session> {
    const user = await this.deps.db.read((tx) => tx.findOneBy(UserRow, { email }));
    const { ok, rehash } = await this.deps.hasher.verify(password, user?.passwordHash ?? (await this.decoyHash));
    if (!user || !ok) throw new AppError(401, 'invalid_credentials', 'The email or password is wrong.');
    if (rehash) await this.rehash(user, password);
    return this.sessionFor(user);
  }

  /**
   * Replaces a hash made the old way (scrypt, or argon2id at another cost) now that the password is known.
   * Only if the hash is still the one checked: a password changed meanwhile is not overwritten. When the
   * hasher is busy the sign-in still succeeds, and the next one tries again.
   */
  private async rehash(user: UserRow, password: string): Promise<void> {
    let passwordHash: string;
    try {
      passwordHash = await this.deps.hasher.hash(password);
    } catch (error) {
      if (error instanceof AppError && error.code === 'server_busy') return;
      throw error;
    }
    await this.deps.db.transaction((tx) => tx.update(UserRow, { id: user.id, passwordHash: user.passwordHash }, { passwordHash }));
  }

  async createOperator(input: NewUser): Promise<UserRow> {
    return this.insertUser({ ...input, role: 'operator', factoryId: null });
  }

  /** Creates the operator named by BOOTSTRAP_OPERATOR_* unless that email already has an account. */
  async ensureOperator(input: NewUser): Promise<{ created: boolean }> {
    const existing = await this.deps.db.read((tx) => tx.findOneBy(UserRow, { email: input.email }));
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

  /** A factory's portal user, created inside the factories module's transaction. */
  async createFactoryUser(tx: Tx, factoryId: string, input: NewUser): Promise<UserRow> {
    const user = await this.buildUser({ ...input, role: 'factory', factoryId });
    await this.insert(tx, user);
    return user;
  }

  async listFactoryUsers(tx: Tx, factoryId: string): Promise<UserRow[]> {
    return tx.find(UserRow, { where: { factoryId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async get(userId: string): Promise<UserRow> {
    const user = await this.deps.db.read((tx) => tx.findOneBy(UserRow, { id: userId }));
    if (!user) throw notFound('The account');
    return user;
  }

  private async insertUser(input: NewUser & Pick<UserRow, 'role' | 'factoryId'>): Promise<UserRow> {
    // Hash outside the transaction: hashing is slow (and may wait its turn) and must not hold the database.
    const user = await this.buildUser(input);
    await this.deps.db.transaction((tx) => this.insert(tx, user));
    return user;
  }

  private async buildUser(input: NewUser & Pick<UserRow, 'role' | 'factoryId'>): Promise<UserRow> {
    return Object.assign(new UserRow(), {
      id: newId(),
      email: input.email,
      passwordHash: await this.deps.hasher.hash(input.password),
      role: input.role,
      factoryId: input.factoryId,
      displayName: input.displayName ?? input.email.split('@')[0],
      createdAt: this.deps.clock.now(),
    });
  }

  private async insert(tx: Tx, user: UserRow): Promise<void> {
    try {
      await tx.insert(UserRow, user);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('email_taken', 'An account with this email already exists.');
      throw error;
    }
  }

  private sessionFor(user: UserRow): Session {
    const principal: Principal & { userId: string } =
      user.role === 'factory' ? { role: 'factory', factoryId: user.factoryId!, userId: user.id } : { role: user.role, userId: user.id };
    return { ...this.deps.tokens.issue(principal), user };
  }
}

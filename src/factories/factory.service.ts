import { In, IsNull } from 'typeorm';
import type { AccountService, NewUser, UserRow } from '../accounts';
import type { Clock } from '../platform/clock';
import type { Database, Tx } from '../platform/database';
import type { CredentialVerifier } from '../platform/http/auth';
import { notFound } from '../platform/http/app-error';
import type { PageQuery } from '../platform/http/paginate';
import { canActForFactory, type Principal } from '../platform/http/principal';
import { newId } from '../platform/ids';
import { formatApiKey, newApiKeySecret, parseApiKey, secretMatches } from './api-key';
import { FactoryApiKeyRow, FactoryRow, FactoryWebhookRow } from './factory.entity';
import type { CreateFactoryInput } from './factory.schemas';

export interface FactoryOverview {
  factory: FactoryRow;
  users: { total: number; active: number };
  activeApiKeys: number;
  webhookUrl: string | null;
}

export class FactoryService implements CredentialVerifier {
  constructor(private readonly deps: { db: Database; accounts: AccountService; clock: Clock }) {}

  async create(input: CreateFactoryInput): Promise<FactoryRow> {
    const factory = Object.assign(new FactoryRow(), { id: newId(), ...input, createdAt: this.deps.clock.now() });
    await this.deps.db.transaction((tx) => tx.insert(FactoryRow, factory));
    return factory;
  }

  async exists(tx: Tx, factoryId: string): Promise<boolean> {
    return tx.existsBy(FactoryRow, { id: factoryId });
  }

  /**
   * Locks the factory's row until the transaction ends, so that work done once per factory at a time
   * (publishing the next forecast version) waits for the one before it. False if there is no such factory.
   */
  async lock(tx: Tx, factoryId: string): Promise<boolean> {
    return (await tx.findOne(FactoryRow, { select: { id: true }, where: { id: factoryId }, lock: this.deps.db.rowLock() })) !== null;
  }

  /** What kind of factory this is (manufacturer, orchard, …), or undefined if there is none. */
  async kindOf(tx: Tx, factoryId: string): Promise<FactoryRow['kind'] | undefined> {
    return (await tx.findOne(FactoryRow, { select: { kind: true }, where: { id: factoryId } }))?.kind;
  }

  /** Factories' names by id (operators' reports name whom they concern). */
  async names(factoryIds: readonly string[]): Promise<Map<string, string>> {
    if (factoryIds.length === 0) return new Map();
    const rows = await this.deps.db.read((tx) => tx.find(FactoryRow, { select: { id: true, name: true }, where: { id: In([...factoryIds]) } }));
    return new Map(rows.map((f) => [f.id, f.name]));
  }

  /** Every orchard (a factory of kind orchard), by name: the fruit catalogue names who supplies each fruit. */
  async orchards(): Promise<{ id: string; name: string }[]> {
    return this.deps.db.read((tx) => tx.find(FactoryRow, { select: { id: true, name: true }, where: { kind: 'orchard' }, order: { name: 'ASC', id: 'ASC' } }));
  }

  async ids(tx: Tx): Promise<string[]> {
    return (await tx.find(FactoryRow, { select: { id: true }, order: { id: 'ASC' } })).map((f) => f.id);
  }

  /**
   * A page of factories as the console lists them: with their users (all, and not disabled), their keys not
   * revoked, and their webhook's URL (null without one). Webhook health is the forecasts module's to add.
   */
  async overview(page: PageQuery): Promise<{ items: FactoryOverview[]; total: number }> {
    return this.deps.db.read(async (tx) => {
      const [factories, total] = await tx.findAndCount(FactoryRow, { order: { createdAt: 'ASC', id: 'ASC' }, skip: page.offset, take: page.limit });
      const ids = factories.map((f) => f.id);
      if (ids.length === 0) return { items: [], total };
      const users = await this.deps.accounts.countFactoryUsers(tx, ids);
      const keys = await tx
        .createQueryBuilder(FactoryApiKeyRow, 'k')
        .select('k.factory_id', 'factoryId')
        .addSelect('COUNT(*)', 'active')
        .where({ factoryId: In(ids), revokedAt: IsNull() })
        .groupBy('k.factory_id')
        .getRawMany<{ factoryId: string; active: number | string }>();
      const activeKeys = new Map(keys.map((k) => [k.factoryId, Number(k.active)]));
      const webhooks = new Map(
        (await tx.find(FactoryWebhookRow, { select: { factoryId: true, url: true }, where: { factoryId: In(ids) } })).map((w) => [w.factoryId, w.url]),
      );
      return {
        items: factories.map((factory) => ({
          factory,
          users: users.get(factory.id) ?? { total: 0, active: 0 },
          activeApiKeys: activeKeys.get(factory.id) ?? 0,
          webhookUrl: webhooks.get(factory.id) ?? null,
        })),
        total,
      };
    });
  }

  async list(page: PageQuery): Promise<{ items: FactoryRow[]; total: number }> {
    const [items, total] = await this.deps.db.read((tx) =>
      tx.findAndCount(FactoryRow, { order: { createdAt: 'ASC', id: 'ASC' }, skip: page.offset, take: page.limit }),
    );
    return { items, total };
  }

  /** A factory the caller may see; another factory's is "not found", so its existence is not revealed. */
  async get(actor: Principal, factoryId: string): Promise<FactoryRow> {
    if (!canActForFactory(actor, factoryId)) throw notFound('The factory');
    const factory = await this.deps.db.read((tx) => tx.findOneBy(FactoryRow, { id: factoryId }));
    if (!factory) throw notFound('The factory');
    return factory;
  }

  async addUser(factoryId: string, input: NewUser): Promise<UserRow> {
    return this.deps.db.transaction(async (tx) => {
      if (!(await tx.existsBy(FactoryRow, { id: factoryId }))) throw notFound('The factory');
      return this.deps.accounts.createFactoryUser(tx, factoryId, input);
    });
  }

  /** Disables a factory's portal user (its sessions end, it cannot sign in) or enables it again. */
  async setUserDisabled(factoryId: string, userId: string, disabled: boolean): Promise<UserRow> {
    const user = await this.deps.db.transaction(async (tx) => {
      if (!(await tx.existsBy(FactoryRow, { id: factoryId }))) throw notFound('The factory');
      return this.deps.accounts.setFactoryUserDisabled(tx, factoryId, userId, disabled);
    });
    if (disabled) await this.deps.accounts.sessionsEnded(user.id);
    return user;
  }

  async listUsers(actor: Principal, factoryId: string): Promise<UserRow[]> {
    await this.get(actor, factoryId);
    return this.deps.db.read((tx) => this.deps.accounts.listFactoryUsers(tx, factoryId));
  }

  /** Returns the key with its secret: the only time the secret is ever shown. */
  async createApiKey(factoryId: string, name: string): Promise<{ key: FactoryApiKeyRow; apiKey: string }> {
    const { secret, secretHash } = newApiKeySecret();
    const key = Object.assign(new FactoryApiKeyRow(), { id: newId(), factoryId, name, secretHash, createdAt: this.deps.clock.now(), revokedAt: null });
    await this.deps.db.transaction(async (tx) => {
      if (!(await tx.existsBy(FactoryRow, { id: factoryId }))) throw notFound('The factory');
      await tx.insert(FactoryApiKeyRow, key);
    });
    return { key, apiKey: formatApiKey(key.id, secret) };
  }

  async listApiKeys(actor: Principal, factoryId: string): Promise<FactoryApiKeyRow[]> {
    await this.get(actor, factoryId);
    return this.deps.db.read((tx) => tx.find(FactoryApiKeyRow, { where: { factoryId }, order: { createdAt: 'ASC', id: 'ASC' } }));
  }

  /** Revoking twice is fine: the key stays revoked from the first time. */
  async revokeApiKey(factoryId: string, keyId: string): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      const key = await tx.findOneBy(FactoryApiKeyRow, { id: keyId, factoryId });
      if (!key) throw notFound('The API key');
      if (!key.revokedAt) await tx.update(FactoryApiKeyRow, { id: keyId }, { revokedAt: this.deps.clock.now() });
    });
  }

  async verify(presented: string): Promise<Principal | undefined> {
    const parsed = parseApiKey(presented);
    if (!parsed) return undefined;
    const key = await this.deps.db.read((tx) => tx.findOneBy(FactoryApiKeyRow, { id: parsed.id }));
    if (!key || key.revokedAt || !secretMatches(parsed.secret, key.secretHash)) return undefined;
    return { role: 'factory', factoryId: key.factoryId, apiKeyId: key.id };
  }
}

import { createConnection, type Connection } from 'mysql2/promise';

/**
 * Kills a schema's database connections from the server side, over and over, as a failover, a network
 * cut or an operator's KILL would: `SELECT id FROM information_schema.processlist WHERE db = <schema>`,
 * then `KILL <id>` for each. Its own connection has no default schema, so it is never one of them.
 */
export class ConnectionKiller {
  /** How many connections were killed, in all. */
  killed = 0;
  rounds = 0;
  private running: Promise<void> | undefined;
  private stopping = false;

  private constructor(
    private readonly admin: Connection,
    private readonly schema: string,
  ) {}

  static async connect(databaseUrl: string, schema: string): Promise<ConnectionKiller> {
    const url = new URL(databaseUrl);
    const admin = await createConnection({
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    });
    return new ConnectionKiller(admin, schema);
  }

  /** One round: every connection to the schema, killed. Returns how many. */
  async killAll(): Promise<number> {
    const [rows] = await this.admin.query('SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()', [this.schema]);
    let killed = 0;
    for (const { id } of rows as { id: number }[]) {
      try {
        await this.admin.query('KILL ?', [id]);
        killed += 1;
      } catch {
        // Gone already (it ended between the list and the kill).
      }
    }
    this.killed += killed;
    this.rounds += 1;
    return killed;
  }

  /** Kills every `intervalMs` until stop(). */
  start(intervalMs: number): void {
    this.stopping = false;
    this.running = (async () => {
      while (!this.stopping) {
        await this.killAll();
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.admin.end();
  }
}

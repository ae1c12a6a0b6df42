import * as argon2 from 'argon2';
import { Sema } from 'async-sema';
import { scrypt, timingSafeEqual } from 'node:crypto';
import { AppError } from '../platform/http/app-error';

/** OWASP Password Storage Cheat Sheet: argon2id with 19 MiB of memory, 2 iterations, 1 lane. */
export const OWASP_ARGON2ID = { memoryKiB: 19 * 1024, iterations: 2 } as const;

export interface PasswordHashing {
  memoryKiB: number;
  iterations: number;
  /** Hashes computed at once: each holds its memory (a legacy scrypt hash 128 MiB) and a libuv thread until done. */
  concurrency: number;
  /** Hashes that may wait for a turn; one more is refused at once with a 503. */
  queueLimit: number;
}

/**
 * Hashes and checks passwords, never more than `concurrency` at once, so a burst of sign-ups or sign-ins
 * costs bounded memory (concurrency × memoryKiB) instead of one hash's memory per request.
 */
export class PasswordHasher {
  private readonly turns: Sema;

  constructor(private readonly options: PasswordHashing) {
    this.turns = new Sema(options.concurrency);
  }

  /** An argon2id PHC string (`$argon2id$v=19$m=…,t=…,p=1$salt$hash`): the parameters travel with the hash. */
  async hash(password: string): Promise<string> {
    return this.inTurn(() =>
      argon2.hash(normalize(password), { type: argon2.argon2id, memoryCost: this.options.memoryKiB, timeCost: this.options.iterations, parallelism: 1 }),
    );
  }

  /** Whether the password matches, and whether its hash should be replaced (scrypt, or argon2id at another cost). */
  async verify(password: string, stored: string): Promise<{ ok: boolean; rehash: boolean }> {
    if (stored.startsWith('$argon2id$')) {
      const ok = await this.inTurn(() => argon2.verify(stored, normalize(password)).catch(() => false));
      return { ok, rehash: ok && argon2.needsRehash(stored, { memoryCost: this.options.memoryKiB, timeCost: this.options.iterations, parallelism: 1 }) };
    }
    if (stored.startsWith('scrypt$')) {
      const ok = await this.inTurn(() => verifyScrypt(password, stored).catch(() => false));
      return { ok, rehash: ok };
    }
    return { ok: false, rehash: false };
  }

  private async inTurn<T>(work: () => Promise<T>): Promise<T> {
    if (this.turns.nrWaiting() >= this.options.queueLimit) {
      throw new AppError(503, 'server_busy', 'Too many sign-ins and sign-ups are being checked right now. Try again in a moment.');
    }
    await this.turns.acquire();
    try {
      return await work();
    } finally {
      this.turns.release();
    }
  }
}

/** The same password typed on different keyboards (full-width forms, composed accents) is the same password. */
const normalize = (password: string) => password.normalize('NFKC');

/** Hashes written before argon2id: `scrypt$N$r$p$salt$hash`, base64url. Only checked, never written; replaced at the next sign-in. */
async function verifyScrypt(password: string, stored: string): Promise<boolean> {
  const [, n, r, p, salt, hash] = stored.split('$');
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  // No more than the service ever wrote (N = 2^17, r = 8: 128 MiB): a stored cost is never a reason to allocate more.
  if (!salt || !hash || !(params.N <= 2 ** 17 && params.r <= 8 && params.p <= 1)) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await new Promise<Buffer>((resolve, reject) =>
    scrypt(normalize(password), Buffer.from(salt, 'base64url'), expected.length, { ...params, maxmem: 256 * params.N * params.r }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { OPENAPI_FILE } from '../../src/platform/http/ops';

/** The committed API description (docs/openapi.yaml), parsed: what the tests that check it and the fuzzer read. */
export function loadOpenApi(): Record<string, unknown> {
  return parse(readFileSync(OPENAPI_FILE, 'utf8')) as Record<string, unknown>;
}

/**
 * How a variant (one value per option, in the product's option order) is written as a key:
 * "colour=navy;size=L". Option values are free text, so the three characters that structure a key are
 * percent-escaped in them ("%" → %25, ";" → %3B, "=" → %3D): any value round-trips, two variants never
 * share a key, and a plain value's key is what it always was. No imports: the factory portal builds the
 * same keys with this very file.
 */

export function keyOfValues(names: readonly string[], values: readonly string[]): string {
  return names.map((name, i) => `${name}=${escapeValue(values[i])}`).join(';');
}

export function variantFromKey(key: string): Record<string, string> {
  return Object.fromEntries(
    key.split(';').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at), part.slice(at + 1).replace(/%(25|3B|3D)/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))];
    }),
  );
}

/** A key as people read it, its values: "navy / L". */
export function variantLabel(key: string): string {
  return Object.values(variantFromKey(key)).join(' / ');
}

export function escapeValue(value: string): string {
  return value.replace(/[%;=]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

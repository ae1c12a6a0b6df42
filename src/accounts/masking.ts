/** w***@example.com: the first character and the domain, as others are shown a consumer's email. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at <= 0 ? '***' : `${[...email][0]}***${email.slice(at)}`;
}

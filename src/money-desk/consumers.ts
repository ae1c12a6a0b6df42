import { maskEmail, maskPhone } from '../accounts';

/** Whose a record is, as the money desk shows it: a name, and the phone (else the email) masked. */
export interface ConsumerView {
  id: string;
  name: string;
  contact: string | null;
}

export function consumerView(user: { id: string; displayName: string; phone: string | null; email: string | null }): ConsumerView {
  return { id: user.id, name: user.displayName, contact: user.phone ? maskPhone(user.phone) : user.email ? maskEmail(user.email) : null };
}

/** The API path of a record's view. */
export const recordLink = (kind: string, id: string) => `/v1/console/money/${kind}/${id}`;

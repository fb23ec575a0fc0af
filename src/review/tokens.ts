/** Personal reviewer tokens and session secrets: random, shown once, stored only as sha256. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new personal token: `tdr_` and 43 base64url characters (256 bits). */
export function generateToken(): string {
  return `tdr_${randomBytes(32).toString('base64url')}`;
}

/** A new reviewer id: `rv_` and 22 base64url characters (128 random bits), never reused. */
export function generateReviewerId(): string {
  return `rv_${randomBytes(16).toString('base64url')}`;
}

/** A random opaque secret for session ids and CSRF tokens. */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The hex sha256 of a token, the only form a store keeps. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Compares two secrets in constant time (for equal lengths). */
export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

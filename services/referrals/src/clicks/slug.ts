/** What a share-link slug may look like; anything else is not looked up at all. */
const SLUG = /^[A-Za-z0-9]{4,32}$/;

/** The referral code a slug names, or undefined when the slug is malformed or oversized. */
export function codeOfSlug(slug: string): string | undefined {
  return SLUG.test(slug) ? slug.toUpperCase() : undefined;
}

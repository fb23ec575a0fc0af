/** A review app over a memory store with two reviewers and a few drafts, plus sign-in helpers. */
import { createListing } from '../factories/listing.js';
import { createAssessment, createDraft, LOW_VECTOR } from '../factories/draft.js';
import { createMemoryStore, type MemoryStore } from '../../src/store/memory-store.js';
import { ReviewService } from '../../src/review/service.js';
import { createReviewApp } from '../../src/review/app.js';

export interface Fixture {
  store: MemoryStore;
  service: ReviewService;
  app: ReturnType<typeof createReviewApp>;
  tokens: { alice: string; bob: string };
}

/** The Critical draft `acme-ops-agent.r1`, a Medium draft `calm-notes.r1`, and their listings. */
export async function setup(options: { twoPerson?: boolean } = {}): Promise<Fixture> {
  const store = createMemoryStore();
  let tick = 0;
  const service = new ReviewService({
    store,
    twoPerson: options.twoPerson ?? false,
    clock: () => new Date(Date.UTC(2025, 2, 1, 12, 0, tick++)),
  });
  await store.listings.put(createListing());
  await store.listings.put(createListing({ id: 'calm-notes', title: 'Calm Notes', sourceId: 'other-directory' }));
  await store.drafts.save(createDraft(), null);
  await store.drafts.save(
    createDraft({ listingId: 'calm-notes', assessment: createAssessment({ cvss: { vector: LOW_VECTOR, rationale: 'Local only.' } }) }),
    null,
  );
  const alice = await service.addReviewer('alice');
  const bob = await service.addReviewer('bob');
  return { store, service, app: createReviewApp({ service }), tokens: { alice: alice.token, bob: bob.token } };
}

/** Authorization header for a token. */
export const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });

function cookiesFrom(response: Response): string[] {
  return response.headers.getSetCookie().map((cookie) => cookie.split(';')[0] ?? '');
}

/** Signs in through the login form; returns the session cookie header and the session's CSRF token. */
export async function signIn(app: Fixture['app'], token: string): Promise<{ cookie: string; csrf: string; setCookie: string[] }> {
  const form = await app.request('/login');
  const loginCookie = cookiesFrom(form).join('; ');
  const loginCsrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const response = await app.request('/login', {
    method: 'POST',
    headers: { Cookie: loginCookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: loginCsrf, token }).toString(),
  });
  if (response.status !== 303) throw new Error(`sign-in failed: ${response.status}`);
  const setCookie = response.headers.getSetCookie();
  const cookie = cookiesFrom(response).filter((c) => c.startsWith('td_session=')).join('; ');
  const page = await app.request('/', { headers: { Cookie: cookie } });
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  return { cookie, csrf, setCookie };
}

/** A network vector with low impact: with the default factors the draft scores High (8.4). */
export const HIGH_VECTOR = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N';
const warning = (code: 'prompt-injection' | 'ungrounded-evidence', where: string | null = null) => ({ code, message: `${code} found`, where });

/**
 * Adds three drafts to the fixture's two, so every filter has something to keep and drop:
 *
 * | id                | status            | score | band     | warnings | updated    |
 * |-------------------|-------------------|-------|----------|----------|------------|
 * | acme-ops-agent.r1 | draft             | 9.6   | Critical | 0        | 2025-01-02 |
 * | calm-notes.r1     | draft             | 5.4   | Medium   | 0        | 2025-01-02 |
 * | noisy-agent.r1    | changes-requested | 8.4   | High     | 2        | 2025-01-09 |
 * | quiet-agent.r1    | rejected          | 1.0   | Low      | 0        | 2025-01-05 |
 * | live-agent.r1     | published         | 5.4   | Medium   | 1        | 2025-01-07 |
 */
export async function seedQueue(store: MemoryStore): Promise<void> {
  const checks = (warnings: ReturnType<typeof warning>[]) => ({ grounding: [], groundingRate: 1, injection: { suspected: false, matches: [] }, warnings });
  const zero = createAssessment({ cvss: { vector: LOW_VECTOR, rationale: 'Local only.' } });
  for (const factor of Object.values(zero.factors)) factor.value = 0;
  await store.drafts.save(
    createDraft({
      listingId: 'noisy-agent',
      status: 'changes-requested',
      assessment: createAssessment({ cvss: { vector: HIGH_VECTOR, rationale: 'Network, low impact.' } }),
      checks: checks([warning('prompt-injection'), warning('ungrounded-evidence', 'factors.dynamicToolUse')]),
      updatedAt: '2025-01-09T00:00:00.000Z',
    }),
    null,
  );
  await store.drafts.save(createDraft({ listingId: 'quiet-agent', status: 'rejected', assessment: zero, updatedAt: '2025-01-05T00:00:00.000Z' }), null);
  await store.drafts.save(
    createDraft({
      listingId: 'live-agent',
      status: 'published',
      assessment: createAssessment({ cvss: { vector: LOW_VECTOR, rationale: 'Local only.' } }),
      checks: checks([warning('prompt-injection')]),
      updatedAt: '2025-01-07T00:00:00.000Z',
    }),
    null,
  );
}

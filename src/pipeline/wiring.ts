/**
 * Production defaults for the pipeline's ports: an assessor per kind (built once, with its
 * profile) and an UndiciFetcher per source. The pipeline owns retries (attempts with backoff),
 * so the openai assessor is built with one HTTP attempt per call unless told otherwise.
 */
import type { Env } from '../../schemas/config.js';
import type { SourceConfig } from '../../schemas/source.js';
import type { Assessor } from '../assess/assessor.js';
import type { AssessorLogger } from '../assess/openai-assessor.js';
import type { CacheRepo, Store } from '../store/store.js';
import type { OpenAIOverrides } from '../assess/create-assessor.js';
import type { Fetcher } from '../crawl/fetcher.js';
import type { AssessorProfile } from './profile.js';

/** Builds and remembers assessors. */
export type AssessorFor = (kind: 'rules' | 'openai') => Promise<{ assessor: Assessor; profile: AssessorProfile }>;

/** Options of {@link assessorFactory}. */
export interface AssessorFactoryOptions {
  env: Readonly<Env>;
  cache?: CacheRepo | null;
  logger?: AssessorLogger | undefined;
  /** Overrides for the openai assessor (tests point it at the fake server). */
  openai?: OpenAIOverrides;
  /** The store approved drafts are drawn from for a few-shot block (THREATDRAFT_FEW_SHOT_TOKENS > 0). */
  fewShotFrom?: Store;
}

/** An `assessorFor(kind)` that builds each assessor once. @throws ConfigError from the assessor. */
export function assessorFactory(options: AssessorFactoryOptions): AssessorFor {
  const built = new Map<string, Promise<{ assessor: Assessor; profile: AssessorProfile }>>();
  return (kind) => {
    let entry = built.get(kind);
    if (entry === undefined) {
      entry = (async () => {
        const { createAssessor } = await import('../assess/create-assessor.js');
        let fewShot: string | null = null;
        if (kind === 'openai' && options.fewShotFrom !== undefined && options.env.THREATDRAFT_FEW_SHOT_TOKENS > 0) {
          const { loadFewShot } = await import('../assess/few-shot.js');
          fewShot = await loadFewShot(options.fewShotFrom, options.env.THREATDRAFT_FEW_SHOT_TOKENS);
        }
        const created = await createAssessor(kind, {
          env: options.env,
          cache: options.cache ?? null,
          logger: options.logger,
          fewShot,
          // The pipeline owns retries (attempts with backoff) within the listing's budget.
          openai: { maxAttempts: 1, ...options.openai },
        });
        const profile: AssessorProfile = {
          assessor: created.assessor.id,
          assessorVersion: created.assessor.version,
          ...created.identity,
        };
        return { assessor: created.assessor, profile };
      })();
      // A failed build (bad config) is not cached, so it is reported again, not hidden.
      entry.catch(() => built.delete(kind));
      built.set(kind, entry);
    }
    return entry;
  };
}

/** An UndiciFetcher for a source: its politeness, private-network switch and contact URL. */
export async function fetcherForSource(source: SourceConfig, contactUrl?: string): Promise<Fetcher> {
  const { UndiciFetcher, fetcherSettingsForSource } = await import('../crawl/undici-fetcher.js');
  return new UndiciFetcher({
    ...fetcherSettingsForSource(source),
    ...(source.contactUrl === undefined && contactUrl !== undefined ? { contactUrl } : {}),
  });
}

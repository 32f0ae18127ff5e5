import type { ProviderId } from '../../../../src/shared/contract/app.js';
import type { ApiBaseUrlView } from '../../../../src/shared/contract/settings.js';
import { API_BASE_URL_ENV, apiBaseUrlProblem } from '../../../../src/shared/api-base-url.js';

/** Where the Anthropic provider's calls go, and where that comes from, as the person reads it. */
export function apiBaseUrlInUseText(view: ApiBaseUrlView, provider: ProviderId): string {
  const later = provider === 'anthropic' ? '' : ' Used once the Anthropic API is the provider.';
  if (view.effective === null) {
    return `${view.problem ?? `${API_BASE_URL_ENV} is refused`}. No call is sent until a URL is saved here or the variable is fixed.${later}`;
  }
  const from =
    view.source === 'settings'
      ? 'saved here; it wins over the ANTHROPIC_BASE_URL environment variable'
      : view.source === 'env'
        ? 'from the ANTHROPIC_BASE_URL environment variable; a URL saved here wins'
        : 'the public API: nothing is saved here and ANTHROPIC_BASE_URL is not set';
  return `In use: ${view.effective} (${from}).${later}`;
}

/** The request the field's text makes: empty removes the saved URL; anything else must be a URL the engine accepts. */
export function apiBaseUrlRequest(text: string): { apiBaseUrl: string | null; error: null } | { apiBaseUrl?: undefined; error: string } {
  const value = text.trim();
  if (value === '') return { apiBaseUrl: null, error: null };
  const problem = apiBaseUrlProblem(value);
  return problem ? { error: `API base URL: ${problem}` } : { apiBaseUrl: value, error: null };
}

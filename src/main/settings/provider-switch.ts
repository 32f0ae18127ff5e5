import type { ProviderId } from '../../shared/contract/app.js';
import type { MessagesRequest, ModelProvider, ProviderResult, SendOptions } from '../llm/provider.js';

/**
 * The provider the gateway holds for its whole life, delegating to whichever provider
 * Settings chose. A call is sent by the provider current when it starts; switching never
 * moves a call in flight.
 */
export class ProviderSwitch implements ModelProvider {
  #id: ProviderId;
  #current: ModelProvider;

  constructor(id: ProviderId, provider: ModelProvider) {
    this.#id = id;
    this.#current = provider;
  }

  /** Which provider new calls go to. */
  get id(): ProviderId {
    return this.#id;
  }

  /** Routes calls from now on to `provider`. */
  use(id: ProviderId, provider: ModelProvider): void {
    this.#id = id;
    this.#current = provider;
  }

  send(request: MessagesRequest, options?: SendOptions): Promise<ProviderResult> {
    return this.#current.send(request, options);
  }

  /** The current provider's raw forwarding (Claude Code sessions), or undefined when it has none (the simulation). */
  get forward(): ModelProvider['forward'] {
    const current = this.#current;
    return current.forward ? current.forward.bind(current) : undefined;
  }
}

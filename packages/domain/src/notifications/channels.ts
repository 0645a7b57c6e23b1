import { createHmac } from "node:crypto";

/** Channel kinds as stored (`ChannelKind`). */
export type ChannelKindName = "WEBHOOK" | "EMAIL" | "DISCORD";

export interface ChannelMessage {
  event: string;
  /** The exact bytes sent; webhooks sign them. */
  body: string;
}

export interface ChannelTarget {
  kind: ChannelKindName;
  target: string;
  secret: string | null;
}

/** The outcome of one send attempt. `retry: false` means retrying cannot help (misconfiguration). */
export type SendResult = { ok: true } | { ok: false; error: string; retry: boolean };

/** One way of reaching people. Add EMAIL or DISCORD by implementing this and registering it. */
export interface ChannelSender {
  readonly kind: ChannelKindName;
  send(channel: ChannelTarget, message: ChannelMessage): Promise<SendResult>;
}

/** `sha256=<hex HMAC-SHA256(secret, raw body)>`, the `x-cohort-signature` header value. */
export const signWebhookBody = (secret: string, body: string) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

/**
 * POSTs the JSON body with `x-cohort-event` and `x-cohort-signature` headers. 2xx is success;
 * 4xx other than 408/429 is not retried (the receiver refused it); anything else is.
 */
export class WebhookSender implements ChannelSender {
  readonly kind = "WEBHOOK" as const;
  constructor(
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly timeoutMs = 10_000,
  ) {}

  async send(channel: ChannelTarget, message: ChannelMessage): Promise<SendResult> {
    if (!channel.secret) return { ok: false, error: "webhook channel has no secret", retry: false };
    try {
      const res = await this.fetchImpl(channel.target, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "cohort-portal",
          "x-cohort-event": message.event,
          "x-cohort-signature": signWebhookBody(channel.secret, message.body),
        },
        body: message.body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.body?.cancel().catch(() => {});
      if (res.ok) return { ok: true };
      const retry = res.status >= 500 || res.status === 408 || res.status === 429;
      return { ok: false, error: `HTTP ${res.status} from ${channel.target}`, retry };
    } catch (e) {
      return {
        ok: false,
        error: `request to ${channel.target} failed: ${(e as Error).message}`,
        retry: true,
      };
    }
  }
}

/** A kind this deployment cannot send yet: fails clearly, never retried. */
export class NotConfiguredSender implements ChannelSender {
  constructor(readonly kind: ChannelKindName) {}
  async send(): Promise<SendResult> {
    return { ok: false, error: `${this.kind} notifications are not configured on this portal`, retry: false };
  }
}

export type ChannelSenders = Record<ChannelKindName, ChannelSender>;

export const defaultSenders = (fetchImpl: typeof fetch = fetch): ChannelSenders => ({
  WEBHOOK: new WebhookSender(fetchImpl),
  EMAIL: new NotConfiguredSender("EMAIL"),
  DISCORD: new NotConfiguredSender("DISCORD"),
});

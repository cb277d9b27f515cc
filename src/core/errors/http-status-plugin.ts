import { ApolloServerPlugin } from "@apollo/server";
import { ErrorCode, HTTP_STATUS, RETRY_AFTER_SECONDS } from "./errors";

/**
 * A database failure is classified only when errors are formatted (format-error.ts), after
 * Apollo has chosen the HTTP status. A response that carries SERVICE_UNAVAILABLE is retryable
 * as a whole: it leaves as HTTP 503 with Retry-After, so proxies and clients retry it.
 */
export const retryableStatusPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== "single") return;
        const errors = response.body.singleResult.errors ?? [];
        if (errors.some((error) => error.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE)) {
          response.http.status = HTTP_STATUS[ErrorCode.SERVICE_UNAVAILABLE];
          response.http.headers.set("retry-after", String(RETRY_AFTER_SECONDS));
        }
      },
    };
  },
};

// `npm run dev`: both services with hot reload (tsx watch) on the embedded store, wired to each other on localhost.
// Ctrl-C or SIGTERM stops both and their watchers; if one exits with an error the other is stopped too.
import concurrently from "concurrently";

const local = {
  PAYMENT_PROVIDER_URL: "http://127.0.0.1:8082",
  EVENTS_WEBHOOK_URL: "http://127.0.0.1:8081/webhooks/payment-events",
  WEBHOOK_SECRET: "dev-only-webhook-secret-do-not-use-in-production",
};

const { result } = concurrently(
  [
    { name: "payment-provider", command: "npm run dev -w payment-provider", env: local, prefixColor: "magenta" },
    { name: "invoice-app", command: "npm run dev -w invoice-app", env: local, prefixColor: "cyan" },
  ],
  { killOthersOn: ["failure"], killSignal: "SIGTERM", handleInput: false },
);

result.then(
  () => process.exit(0),
  () => process.exit(1),
);

// `npm run dev`: both services with hot reload (tsx watch) on the embedded store, wired to each other on localhost.
// Ctrl-C or SIGTERM stops both and their watchers; if one exits with an error the other is stopped too.
// DEV_INVOICE_APP_PORT / DEV_PAYMENT_PROVIDER_PORT move them off 8081 / 8082.
import concurrently from "concurrently";

const invoicePort = process.env.DEV_INVOICE_APP_PORT ?? "8081";
const providerPort = process.env.DEV_PAYMENT_PROVIDER_PORT ?? "8082";
const wiring = {
  PAYMENT_PROVIDER_URL: `http://127.0.0.1:${providerPort}`,
  EVENTS_WEBHOOK_URL: `http://127.0.0.1:${invoicePort}/webhooks/payment-events`,
};

const { result } = concurrently(
  [
    {
      name: "payment-provider",
      command: "npm run dev -w payment-provider",
      env: { ...wiring, PORT: providerPort },
      prefixColor: "magenta",
    },
    {
      name: "invoice-app",
      command: "npm run dev -w invoice-app",
      env: { ...wiring, PORT: invoicePort },
      prefixColor: "cyan",
    },
  ],
  { killOthersOn: ["failure"], killSignal: "SIGTERM", handleInput: false },
);

result.then(
  () => process.exit(0),
  () => process.exit(1),
);

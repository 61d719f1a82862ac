// `npm run dev`: both services with hot reload (tsx watch) on the embedded store, wired to each other on localhost.
// Ctrl-C or SIGTERM stops both and their watchers; if one exits with an error the other is stopped too.
// DEV_INVOICE_APP_PORT / DEV_PAYMENT_PROVIDER_PORT move them off 8081 / 8082. They listen on loopback only,
// whatever HOST the shell exports (zsh and some CI runners set it to the machine's name).
// DATABASE_URL, if exported, is used by both; DATA_DIR gets one subdirectory per service, since PGlite data
// directories cannot be shared between processes.
import path from "node:path";
import concurrently from "concurrently";

const invoicePort = process.env.DEV_INVOICE_APP_PORT ?? "8081";
const providerPort = process.env.DEV_PAYMENT_PROVIDER_PORT ?? "8082";
const wiring = {
  PAYMENT_PROVIDER_URL: `http://127.0.0.1:${providerPort}`,
  EVENTS_WEBHOOK_URL: `http://127.0.0.1:${invoicePort}/webhooks/payment-events`,
  HOST: "127.0.0.1",
};
const dataDir = (service) => (process.env.DATA_DIR ? { DATA_DIR: path.join(process.env.DATA_DIR, service) } : {});

const { result } = concurrently(
  [
    {
      name: "payment-provider",
      command: "npm run dev -w payment-provider",
      env: { ...wiring, ...dataDir("payment-provider"), PORT: providerPort },
      prefixColor: "magenta",
    },
    {
      name: "invoice-app",
      command: "npm run dev -w invoice-app",
      env: { ...wiring, ...dataDir("invoice-app"), PORT: invoicePort },
      prefixColor: "cyan",
    },
  ],
  { killOthersOn: ["failure"], killSignal: "SIGTERM", handleInput: false },
);

result.then(
  () => process.exit(0),
  () => process.exit(1),
);

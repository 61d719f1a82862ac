// `npm run dev`: both services with hot reload (tsx watch) on the embedded store, wired to each other on localhost.
// Ctrl-C or SIGTERM stops both and their watchers; if one exits with an error the other is stopped too.
// DEV_INVOICE_APP_PORT / DEV_PAYMENT_PROVIDER_PORT move them off 8081 / 8082. They listen on loopback only,
// whatever HOST the shell exports (zsh and some CI runners set it to the machine's name).
// Each service gets its own store: DATA_DIR gets one subdirectory per service (PGlite data directories cannot be
// shared between processes), DEV_INVOICE_APP_DATABASE_URL / DEV_PAYMENT_PROVIDER_DATABASE_URL put a service on
// PostgreSQL (one database each: both keep a jobs table). An exported DATABASE_URL is ignored for that reason.
import path from "node:path";
import concurrently from "concurrently";

const invoicePort = process.env.DEV_INVOICE_APP_PORT ?? "8081";
const providerPort = process.env.DEV_PAYMENT_PROVIDER_PORT ?? "8082";
const wiring = {
  PAYMENT_PROVIDER_URL: `http://127.0.0.1:${providerPort}`,
  EVENTS_WEBHOOK_URL: `http://127.0.0.1:${invoicePort}/webhooks/payment-events`,
  HOST: "127.0.0.1",
};
const store = (service, databaseUrl) => ({
  // Empty means unset to the services.
  DATABASE_URL: databaseUrl ?? "",
  ...(process.env.DATA_DIR ? { DATA_DIR: path.resolve(process.env.DATA_DIR, service) } : {}),
});

const { result } = concurrently(
  [
    {
      name: "payment-provider",
      command: "npm run dev -w payment-provider",
      env: {
        ...wiring,
        ...store("payment-provider", process.env.DEV_PAYMENT_PROVIDER_DATABASE_URL),
        PORT: providerPort,
      },
      prefixColor: "magenta",
    },
    {
      name: "invoice-app",
      command: "npm run dev -w invoice-app",
      env: { ...wiring, ...store("invoice-app", process.env.DEV_INVOICE_APP_DATABASE_URL), PORT: invoicePort },
      prefixColor: "cyan",
    },
  ],
  { killOthersOn: ["failure"], killSignal: "SIGTERM", handleInput: false },
);

result.then(
  () => process.exit(0),
  () => process.exit(1),
);

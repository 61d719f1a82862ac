import { defineService } from "@invoicing/shared/platform";
import { SERVICE_NAME, startInvoiceApp } from "./app.js";
import { type InvoiceAppConfig, loadConfig } from "./config.js";

export const service = defineService<InvoiceAppConfig>({ name: SERVICE_NAME, loadConfig, start: startInvoiceApp });

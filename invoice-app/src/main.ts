import { runService } from "@invoicing/shared/platform";
import { service } from "./service.js";

await runService(service);

// A job's status in the page's language (the API's values: queued, running, succeeded, failed, cancelled).

import { t } from "../i18n.js";

const WORDS = { queued: t("queued"), running: t("running"), succeeded: t("succeeded"), failed: t("failed"), cancelled: t("cancelled") };

export const statusText = (status) => WORDS[status] ?? status;

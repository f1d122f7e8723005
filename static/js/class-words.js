// CIFAR-10's class names in the page's language. The API sends them as torchvision writes them
// ("airplane" … "truck": data, and the values its queries take); the page shows them through here.

import { t } from "./i18n.js";

/** A CIFAR-10 class name as the page shows it; a name it does not know is shown as sent. */
export function classWord(name) {
  const words = {
    airplane: t("airplane"), automobile: t("automobile"), bird: t("bird"), cat: t("cat"), deer: t("deer"),
    dog: t("dog"), frog: t("frog"), horse: t("horse"), ship: t("ship"), truck: t("truck"),
  };
  return Object.hasOwn(words, name) ? words[name] : name;
}

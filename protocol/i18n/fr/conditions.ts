/**
 * The French text of every /v1/status condition the daemon raises: `condition.<CODE>.message` says what
 * is wrong, `condition.<CODE>.hint` what the shop owner or the technician should do about it. Merged into
 * protocol/i18n/fr.ts; protocol/i18n/en/conditions.ts has the same keys.
 *
 * The conditions, where each is raised, and the ICU values its message takes (hints take none):
 *
 * daemon/status.ts (`add(...)`):
 * - DEVICE_IDENTITY_MISMATCH: {kind} ("id": another device id, "key": same id, another key),
 *   {connected}, {bound} (device ids; the reason itself is built in daemon/daemon.ts)
 * - DEVICE_UNTRUSTED: {reason} (the trust check's reason, daemon/fiscal/device-trust.ts)
 * - DEVICE_MISSING: none
 * - DEVICE_NOT_ACTIVATED: none
 * - DEVICE_LOCKED: {reason} (the device's lock_reason: JOURNAL_FULL and SELF_TEST_FAILED are translated,
 *   "none" when the device gives no reason, any other text is shown as is)
 * - CLOCK_INVALID: none
 * - CLOCK_SKEW: {seconds} (number, device − this computer, rounded)
 * - JOURNAL_NEARLY_FULL: {used}, {capacity} (numbers of records)
 * - JOURNAL_CHAIN_BROKEN: {count} (plural: unacknowledged breaks)
 * - RECORDS_IMPORTED: {count} (plural: records imported by the last reconciliation)
 *
 * daemon/sync/conditions.ts (`code: ...`, through the daemon's addConditionSource):
 * - CLOUD_NOT_CONFIGURED: none
 * - CLOUD_ACK_MISMATCH: {count} (plural: acks refused)
 * - CLOUD_NOT_ACTIVATED: {count} (plural: sealed invoices pending)
 * - SYNC_FAILED: {count} (plural: failed uploads)
 * - SYNC_PENDING_TOO_LONG: {count} (plural: invoices pending), {minutes} (number: the threshold)
 * - CLOUD_UNREACHABLE: none
 * - CLOUD_CREDENTIAL_REFUSED: none
 * - CLOUD_OFFLINE_DAYS: {days} (plural: whole days since the last contact)
 *
 * daemon/daemon.ts (`addConditionSource` while sfeIdentityOf gives undefined):
 * - SFE_NOT_CONFIGURED: {settings} (the missing settings, missingSfeSettings in daemon/fiscal/sfe.ts)
 * - DAY_NOT_CLOSED: {closing} (the closing time passed, as the shop reads it), {hours} since then
 */
export const CONDITIONS_FR: Readonly<Record<string, string>> = {
  "condition.DEVICE_IDENTITY_MISMATCH.message":
    "{kind, select, key {l'appareil fiscal connecté {connected} a une autre clé que l'appareil lié} other " +
    "{l'appareil fiscal connecté {connected} n'est pas l'appareil lié {bound}}}",
  "condition.DEVICE_IDENTITY_MISMATCH.hint":
    "rebranchez l'appareil fiscal auquel ce service est lié (`stalela device info` montre celui qui est " +
    "connecté) ; pour un appareil remplacé volontairement, appelez le support Stalela : les journaux de " +
    "deux appareils ne sont jamais mélangés dans un même stock",
  "condition.DEVICE_UNTRUSTED.message": "appareil fiscal refusé : {reason}. Aucune facture n'est scellée",
  "condition.DEVICE_UNTRUSTED.hint":
    "dans /etc/stalela/daemon.env, vérifiez que STALELA_MERCHANT_NIF et STALELA_OUTLET_ID sont les valeurs " +
    "données par le back-office Stalela et que STALELA_CLOUD_ROOT_KEY est renseignée, puis lancez " +
    "`systemctl restart stalela-daemon` ; un émulateur n'est accepté qu'en mode de développement " +
    "(STALELA_ALLOW_EMULATOR=1), jamais sur une caisse ; un appareil activé pour une autre boutique ne " +
    "peut pas servir ici",
  "condition.DEVICE_MISSING.message":
    "l'appareil fiscal n'est pas connecté : les factures ne peuvent pas être scellées",
  "condition.DEVICE_MISSING.hint":
    "vérifiez le câble USB et l'alimentation de l'appareil fiscal, puis lancez `ls -l /dev/stalela-def` et " +
    "`stalela doctor` ; STALELA_DEVICE dans /etc/stalela/daemon.env doit désigner l'appareil " +
    "(serial:/dev/stalela-def par défaut)",
  "condition.DEVICE_NOT_ACTIVATED.message":
    "l'appareil fiscal n'est pas activé : aucune facture ne peut être scellée",
  "condition.DEVICE_NOT_ACTIVATED.hint":
    "activez-le avec `stalela device activate --code CODE` (le code donné par le back-office Stalela), ou " +
    "hors ligne avec `stalela device activate --bundle FICHIER`",
  "condition.DEVICE_LOCKED.message":
    "l'appareil fiscal est verrouillé ({reason, select, JOURNAL_FULL {journal fiscal plein} " +
    "SELF_TEST_FAILED {autotest échoué} none {aucune raison indiquée} other {{reason}}})",
  "condition.DEVICE_LOCKED.hint":
    "après un autotest échoué, relancez `stalela device self-test` : l'appareil se déverrouille dès qu'un " +
    "autotest réussit ; un journal plein n'est jamais vidé : exportez-le avec " +
    "`stalela device export --out FICHIER`, puis appelez le support Stalela",
  "condition.CLOCK_INVALID.message":
    "l'horloge de l'appareil fiscal est antérieure à son dernier enregistrement : la fiscalisation est " +
    "refusée",
  "condition.CLOCK_INVALID.hint":
    "vérifiez l'heure de cet ordinateur (`date`), puis réglez l'horloge de l'appareil avec " +
    "`stalela device time --set now` ; une fois activé, l'appareil refuse un écart de plus de 15 minutes " +
    "(E107) : appelez alors le support Stalela",
  "condition.CLOCK_SKEW.message":
    "l'horloge de l'appareil fiscal diffère de celle de cet ordinateur de {seconds, number} s",
  "condition.CLOCK_SKEW.hint":
    "vérifiez l'heure de cet ordinateur (`date`), puis lancez `stalela device time --set now` ; l'appareil " +
    "scelle avec sa propre heure : une horloge déréglée imprime une heure erronée sur les reçus",
  "condition.JOURNAL_NEARLY_FULL.message":
    "le journal de l'appareil fiscal est presque plein : {used, number} enregistrements sur {capacity, " +
    "number}",
  "condition.JOURNAL_NEARLY_FULL.hint":
    "l'appareil se verrouille quand son journal est plein : exportez dès maintenant le journal avec " +
    "`stalela device export --out FICHIER`, gardez le fichier et appelez le support Stalela avant qu'il " +
    "soit plein",
  "condition.JOURNAL_CHAIN_BROKEN.message":
    "{count, plural, one {# enregistrement du journal ne s'enchaîne pas à son prédécesseur} other " +
    "{# enregistrements du journal ne s'enchaînent pas à leur prédécesseur}}",
  "condition.JOURNAL_CHAIN_BROKEN.hint":
    "vérifiez l'appareil fiscal (échangé, restauré ou manipulé ?) et listez les ruptures avec " +
    "`stalela journal breaks`, puis acquittez-les avec `stalela journal ack --by NOM`",
  "condition.RECORDS_IMPORTED.message":
    "{count, plural, one {# enregistrement a été importé} other {# enregistrements ont été importés}} " +
    "depuis le journal de l'appareil fiscal",
  "condition.RECORDS_IMPORTED.hint":
    "rien à faire : l'appareil fiscal contenait des enregistrements scellés absents du stock du service " +
    "(après une restauration ou un plantage), et le service les a importés",
  "condition.CLOUD_NOT_CONFIGURED.message":
    "aucune URL du Stalela Cloud n'est configurée : aucune facture n'est envoyée",
  "condition.CLOUD_NOT_CONFIGURED.hint":
    "dans /etc/stalela/daemon.env, mettez dans STALELA_CLOUD_URL l'URL https:// donnée par le back-office " +
    "Stalela, puis lancez `systemctl restart stalela-daemon`",
  "condition.CLOUD_ACK_MISMATCH.message":
    "le Stalela Cloud a accusé réception d'enregistrements que le service n'a pas envoyés ({count, plural, " +
    "one {# accusé refusé} other {# accusés refusés}}) : les factures restent en attente",
  "condition.CLOUD_ACK_MISMATCH.hint":
    "vérifiez que STALELA_CLOUD_URL dans /etc/stalela/daemon.env est bien l'URL du Stalela Cloud de cette " +
    "boutique, donnée par le back-office Stalela, puis lancez `systemctl restart stalela-daemon` ; si cela " +
    "continue, appelez le support Stalela",
  "condition.CLOUD_NOT_ACTIVATED.message":
    "{count, plural, one {# facture scellée attend} other {# factures scellées attendent}} l'envoi, mais " +
    "le service n'a pas d'identifiant d'accès au Stalela Cloud",
  "condition.CLOUD_NOT_ACTIVATED.hint":
    "activez l'appareil fiscal avec `stalela device activate --code CODE` (le code donné par le " +
    "back-office Stalela), ou lancez `stalela device activate --bundle FICHIER` avec un fichier " +
    "d'activation qui contient un identifiant d'accès au cloud ; l'envoi démarre ensuite tout seul",
  "condition.SYNC_FAILED.message":
    "{count, plural, one {# facture n'a pas pu être envoyée} other {# factures n'ont pas pu être envoyées}}",
  "condition.SYNC_FAILED.hint":
    "voyez pourquoi avec `stalela queue list --failed`, corrigez la cause, puis lancez " +
    "`stalela queue retry`",
  "condition.SYNC_PENDING_TOO_LONG.message":
    "{count, plural, one {# facture attend} other {# factures attendent}} l'envoi, la plus ancienne depuis " +
    "plus de {minutes, number} min",
  "condition.SYNC_PENDING_TOO_LONG.hint":
    "vérifiez la connexion internet de ce PC et STALELA_CLOUD_URL, puis lancez `stalela queue status` et " +
    "`stalela doctor` ; `journalctl -u stalela-daemon` montre les erreurs d'envoi ; le seuil est " +
    "STALELA_SYNC_PENDING_WARN_MS",
  "condition.CLOUD_UNREACHABLE.message":
    "le Stalela Cloud est injoignable ; les factures sont gardées et seront envoyées à son retour",
  "condition.CLOUD_UNREACHABLE.hint":
    "vérifiez la connexion internet de ce PC (câble, Wi-Fi ou modem mobile) et STALELA_CLOUD_URL dans " +
    "/etc/stalela/daemon.env ; `stalela doctor` vérifie que le cloud répond ; rien n'est perdu entre-temps",
  "condition.CLOUD_CREDENTIAL_REFUSED.message": "le Stalela Cloud refuse l'identifiant d'accès du service",
  "condition.CLOUD_CREDENTIAL_REFUSED.hint":
    "vérifiez que STALELA_CLOUD_URL dans /etc/stalela/daemon.env est bien l'URL du Stalela Cloud de cette " +
    "boutique ; si c'est le cas, l'identifiant a été révoqué ou remplacé : appelez le back-office Stalela " +
    "avec le numéro de l'appareil que montre `stalela device info` ; les factures attendent entre-temps",
  "condition.CLOUD_OFFLINE_DAYS.message":
    "aucun contact réussi avec le Stalela Cloud depuis {days, plural, one {# jour} other {# jours}}",
  "condition.CLOUD_OFFLINE_DAYS.hint":
    "connectez ce PC à internet (câble, Wi-Fi ou modem mobile) pour que les factures soient envoyées, puis " +
    "vérifiez avec `stalela queue status` et `stalela doctor` ; le seuil est STALELA_SYNC_OFFLINE_WARN_DAYS",
  "condition.SFE_NOT_CONFIGURED.message":
    "l'identité du SFE n'est pas configurée (manquant : {settings}) : aucune facture n'est scellée",
  "condition.SFE_NOT_CONFIGURED.hint":
    "renseignez STALELA_ISF (l'ISF attribué par la DGI), STALELA_SELLER_NAME et STALELA_SELLER_ADDRESS " +
    "dans /etc/stalela/daemon.env, puis lancez `systemctl restart stalela-daemon` (docs/INSTALL.md §3)",
  "condition.DAY_NOT_CLOSED.message":
    "la journée fiscale n'est pas clôturée : l'heure de clôture ({closing}) est passée depuis {hours, plural, one {# heure} other {# heures}}",
  "condition.DAY_NOT_CLOSED.hint":
    "faites le rapport Z : `stalela report z` (ou POST /v1/reports/z depuis la caisse) ; l'heure de clôture est STALELA_DAY_CLOSING_TIME dans /etc/stalela/daemon.env",
};

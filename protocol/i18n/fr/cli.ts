/**
 * The `stalela` CLI's human output in French, the default: every line and label of `invoice get`,
 * `device …`, `keys`, `queue`, `journal`, `backup`, `config check`, `verify-qr` and `doctor`, for a
 * technician in DR Congo. protocol/i18n/en/cli.ts has the same keys. Command names, option names,
 * environment variables, codes (E115, FISCALIZED, SALE…) and product names stay as they are. Lines
 * keep their layout: labels of one block are aligned within this file, as the English ones are in
 * theirs. A straight apostrophe before `{`, `}` or another apostrophe is ICU quoting: none is written
 * so here (test/cli/lang.test.ts checks that every apostrophe comes out as written).
 */
export const CLI_FR: Readonly<Record<string, string>> = {
  // `stalela invoice get` (cli/commands/invoice.ts)
  "cli.invoice.heading": "facture {id}  {type}  {state}",
  "cli.invoice.key": "  clé          {key}",
  "cli.invoice.key_none": "  clé          (aucune : importée du journal fiscal de l'appareil)",
  "cli.invoice.client_ref": "  client_ref   {ref}",
  "cli.invoice.cashier": "  caissier     {cashier}",
  "cli.invoice.total": "  total        {amount} ({minor} en unités mineures)",
  "cli.invoice.not_sealed": "  n° fiscal    aucun : facture non scellée",
  "cli.invoice.fiscal": "  n° fiscal    {number} ({type} n° {typeNumber}) sur l'appareil fiscal {device}",
  "cli.invoice.dgi": "  DGI          {dgiType} n° {yearNumber} de l'exercice {year}, ISF {isf}, rn {rn}",
  "cli.invoice.sealed_at": "  scellée le   {when}",
  "cli.invoice.auth_code": "  code d'auth. {code}",
  "cli.invoice.qr": "  QR           {qr}",
  "cli.invoice.error": "  erreur       E{code} {name}: {message}",
  "cli.invoice.receipts":
    "  reçus        {printed, plural, one {# imprimé} other {# imprimés}}, {duplicates} DUPLICATA",
  "cli.invoice.sync": "  envoi        {status}, {attempts, plural, one {# tentative} other {# tentatives}}",
  "cli.invoice.sync_dgi": ", DGI {status}",
  "cli.invoice.sync_last_error": ", dernière erreur : {error}",
  "cli.invoice.transitions": "  historique",
  "cli.invoice.transition": "    {when}  {state}",
  "cli.invoice.transition_note": "    {when}  {state}  ({note})",

  // `stalela device info | status | time | self-test` (cli/commands/device-info.ts)
  "cli.device.via":
    "  via          {via, select, daemon {le service (son admin.sock ; il tient le port)} other {l'appareil fiscal}}",
  "cli.device.info.heading":
    "appareil fiscal {device}  ({model}, micrologiciel {firmware}, protocole {protocol})",
  "cli.device.info.state": "  état         {state}",
  "cli.device.info.identity_none":
    "  identité     aucune : activez-le avec `stalela device activate --code CODE` (ou --bundle FILE)",
  "cli.device.info.identity":
    "  identité     commerçant {nif}, point de vente {outlet}, autorité {authority}",
  "cli.device.info.public_key": "  clé publique {key}",
  "cli.device.info.tax_table": "  barème       {table}",
  "cli.device.info.limits":
    "  limites      journal fiscal de {capacity} enregistrements, {pending} en attente, " +
    "validité du nonce {ttl} ms, charge utile {payload} octets",
  "cli.device.status.state": "état         {state}",
  "cli.device.status.state_locked": "état         {state} (verrouillé : {reason})",
  "cli.device.status.last_number": "dernier n°   {number}  {counters}",
  "cli.device.status.journal": "journal      {used} / {capacity} enregistrements ({percent} %)",
  "cli.device.status.pending":
    "en attente   {pending, plural, one {# préparée, non validée} other {# préparées, non validées}}",
  "cli.device.status.clock": "horloge",
  "cli.device.status.warnings_none": "alertes      aucune",
  "cli.device.status.warnings": "alertes      {warnings}",
  "cli.device.clock.device": "  appareil     {local} = {utc}",
  "cli.device.clock.device_invalid":
    "  appareil     {local} = {utc}  (INVALIDE : antérieure au dernier enregistrement)",
  "cli.device.clock.host": "  ce PC        {local} = {utc}",
  "cli.device.clock.skew": "  écart        {skew} (appareil moins ce PC)",
  "cli.device.clock.warning":
    "  ATTENTION : les horloges diffèrent de plus de 5 min : vérifiez l'heure de ce PC (timedatectl), " +
    "puis `stalela device time --set now` (15 min au plus par réglage une fois l'appareil activé)",
  "cli.device.time.heading": "horloge de l'appareil fiscal",
  "cli.device.time.heading_set": "horloge de l'appareil fiscal réglée",
  "cli.device.self_test.passed": "autotest RÉUSSI",
  "cli.device.self_test.failed": "autotest ÉCHOUÉ",
  "cli.device.self_test.check_ok": "  ok     {name}{detail}",
  "cli.device.self_test.check_failed": "  ÉCHEC  {name}{detail}",
  "cli.device.self_test.locked":
    "l'appareil fiscal se verrouille jusqu'à ce qu'un autotest réussisse : appelez le support avec cette sortie",

  // `stalela device activate` (cli/commands/activate.ts)
  "cli.device.activate.progress":
    "activation via {via, select, daemon {le service} other {l'appareil fiscal}}…",
  "cli.device.activate.done":
    "appareil fiscal {device} activé (via {via, select, daemon {le service} other {l'appareil fiscal}})",
  "cli.device.activate.resumed":
    "activation de l'appareil fiscal {device} reprise et terminée " +
    "(via {via, select, daemon {le service} other {l'appareil fiscal}})",
  "cli.device.activate.merchant": "  commerçant      {nif}",
  "cli.device.activate.outlet": "  point de vente  {outlet}",
  "cli.device.activate.authority": "  autorité        {authority}",
  "cli.device.activate.public_key": "  clé publique    {key}",
  "cli.device.activate.write_down":
    "                  notez-la : la DGI l'enregistre, et les auditeurs vérifient avec elle les exports et les reçus",
  "cli.device.activate.registered": "  enregistré auprès du Stalela Cloud",
  "cli.device.activate.not_registered":
    "  PAS encore enregistré auprès du Stalela Cloud : relancez la même commande une fois en ligne",

  // `stalela keys create | list | revoke` (cli/commands/keys.ts)
  "cli.console.ask": "Mot de passe de la console (10 caractères au moins) : ",
  "cli.console.again": "Le même, encore une fois : ",
  "cli.console.differ": "les deux mots de passe diffèrent : rien n'a changé",
  "cli.console.set":
    "mot de passe de la console défini : ouvrez http://127.0.0.1:8765/console/ et connectez-vous",
  "cli.console.reset":
    "mot de passe de la console réinitialisé : l'ancien ne vaut plus ; les sessions ouvertes le restent jusqu'à la déconnexion ou au redémarrage du service",
  "cli.keys.created": "Clé API du caissier {cashier} (id {id}) :",
  "cli.keys.shown_once":
    "Elle n'est affichée que maintenant : enregistrez-la dans la configuration de la caisse.",
  "cli.keys.none": "aucune clé API pour l'instant : `stalela keys create --cashier ID`",
  "cli.keys.active": "{id}  caissier {cashier}  créée le {created}  active  {label}",
  "cli.keys.revoked_line": "{id}  caissier {cashier}  créée le {created}  RÉVOQUÉE le {revoked}  {label}",
  "cli.keys.revoked": "clé {id} (caissier {cashier}) révoquée le {when}",

  // `stalela queue status | list | retry` (cli/commands/queue.ts)
  "cli.queue.pending": "en attente {count}",
  "cli.queue.pending_oldest": "en attente {count} (la plus ancienne depuis le {when})",
  "cli.queue.failed": "en échec   {count}",
  "cli.queue.failed_hint":
    "en échec   {count}  (voir : `stalela queue list --failed` ; relancer : `stalela queue retry`)",
  "cli.queue.acked": "acquittées {count}",
  "cli.queue.conditions_none": "conditions  aucune",
  "cli.queue.condition": "{severity} {code} : {message} (depuis le {since})",
  "cli.queue.no_failed": "aucun envoi en échec",
  "cli.queue.empty": "la file d'envoi est vide",
  "cli.queue.entry":
    "{invoice}  {device} n° {number}  {status}  {attempts, plural, one {# tentative} other {# tentatives}}",
  "cli.queue.entry_error":
    "{invoice}  {device} n° {number}  {status}  {attempts, plural, one {# tentative} other {# tentatives}}" +
    "  dernière erreur : {error}",
  "cli.queue.requeued":
    "{count, plural, one {# envoi en échec remis} other {# envois en échec remis}} dans la file d'envoi",

  // `stalela journal breaks | ack` (cli/commands/journal.ts)
  "cli.journal.no_breaks":
    "aucune rupture de chaîne : chaque enregistrement importé est chaîné à celui qui le précède",
  "cli.journal.break_open": "{device} enregistrement {number}  trouvée le {found}  NON ACQUITTÉE",
  "cli.journal.break_acknowledged":
    "{device} enregistrement {number}  trouvée le {found}  acquittée le {at} par {by}",
  "cli.journal.nothing_to_acknowledge": "rien à acquitter",
  "cli.journal.acknowledged":
    "{count, plural, one {# rupture de chaîne acquittée} other {# ruptures de chaîne acquittées}} par {by}",

  // `stalela backup` (cli/commands/backup.ts)
  "cli.backup.written":
    "sauvegarde écrite : {path} ({bytes} octets, {invoices, plural, one {# facture} other {# factures}}, " +
    "intégrité vérifiée)",

  // `stalela config check` (cli/commands/config.ts)
  "cli.config.valid": "Configuration valide",
  "cli.config.setting": "paramètre",
  "cli.config.value": "valeur",
  "cli.config.source": "origine",
  "cli.config.not_set": "(non défini)",
  "cli.config.warning": "Avertissement : {warning}",

  // `stalela verify-qr` (cli/commands/verify-qr.ts)
  "cli.verify_qr.verified": "QR VÉRIFIÉ : signé par la clé de l'appareil fiscal",
  "cli.verify_qr.parsed": "QR LU (signature non vérifiée)",
  "cli.verify_qr.not_verified": "QR NON VÉRIFIÉ : aucune --pubkey donnée",
  "cli.verify_qr.invalid": "QR INVALIDE : {reason}",
  "cli.verify_qr.v2": "  QR v2 : appareil fiscal {device}, n° fiscal {number}, {type}, émise le {when}",
  "cli.verify_qr.v2_total": "  total {total} centimes = {amount} (taxe {tax}), NIF du commerçant {nif}",
  "cli.verify_qr.v2_code": "  Code DEF/DGI {code}",
  "cli.verify_qr.v1": "  QR v1 : appareil fiscal {device}, n° fiscal {number}, {type}, émise le {when}",
  "cli.verify_qr.v1_total":
    "  total {total} {currency} en unités mineures (taxe {tax}), NIF du commerçant {nif}",
  "cli.verify_qr.v1_code": "  code d'authentification {code}",
  "cli.verify_qr.key_needed":
    "  Seule la clé publique de l'appareil fiscal prouve qu'un reçu est authentique : " +
    "passez --pubkey HEX, ou --parse-only.",

  // `stalela doctor` (cli/commands/doctor.ts, cli/doctor/report.ts)
  "cli.doctor.progress": "vérification de l'appareil fiscal, du stock, du service et du cloud…",
  "cli.doctor.level.ok": "ok",
  "cli.doctor.level.warn": "ALERTE",
  "cli.doctor.level.fail": "ÉCHEC",
  "cli.doctor.area.device": "appareil",
  "cli.doctor.area.udev": "udev",
  "cli.doctor.area.clock": "horloge",
  "cli.doctor.area.disk": "disque",
  "cli.doctor.area.database": "stock",
  "cli.doctor.area.daemon": "service",
  "cli.doctor.area.cloud": "cloud",
  "cli.doctor.fix": "solution : {fix}",
  "cli.doctor.all_ok": "aucun problème trouvé",
  "cli.doctor.some_failed": "corrigez les lignes ÉCHEC ci-dessus, puis relancez `stalela doctor`",
  "cli.doctor.fix.device_access":
    "ajoutez l'utilisateur au groupe stalela-dev (`usermod -aG stalela-dev USER`, puis déconnectez-vous et " +
    "reconnectez-vous), installez la règle udev (`cp udev/99-stalela-def.rules /etc/udev/rules.d/`), " +
    "puis `udevadm control --reload && udevadm trigger`",
  "cli.doctor.fix.start_daemon":
    "`systemctl start stalela-daemon` (`journalctl -u stalela-daemon` dit pourquoi il s'est arrêté), " +
    "ou `stalela daemon`",
  "cli.doctor.device.emulator_missing":
    "{path} n'existe pas : c'est le port de l'émulateur, et aucun émulateur ne tourne",
  "cli.doctor.device.emulator_missing.fix":
    "démarrez l'émulateur (`stalela emulator`), ou branchez l'appareil fiscal et utilisez --device serial:/dev/stalela-def",
  "cli.doctor.device.missing":
    "{path} n'existe pas : l'appareil fiscal n'est pas branché, ou la règle udev n'a pas créé ce chemin",
  "cli.doctor.device.missing.fix":
    "branchez l'appareil fiscal ; ls -l /dev/stalela-def* ; vérifiez la règle udev (ci-dessous) et --device",
  "cli.doctor.device.access": "impossible de lire et d'écrire {path} : {error}",
  "cli.doctor.device.held": "{path} est accessible ; non ouvert, car le service en marche le tient",
  "cli.doctor.device.no_answer": "aucun appareil fiscal n'a répondu sur {uri}",
  "cli.doctor.device.no_answer_error": "aucun appareil fiscal n'a répondu sur {uri} : {error}",
  "cli.doctor.device.no_answer.fix":
    "vérifiez le câble et --device ; arrêtez tout autre programme qui utilise le port (`stalela daemon` le tient)",
  "cli.doctor.device.answered": "{device} a répondu sur {uri} : {state}",
  "cli.doctor.device.unactivated": "{device} a répondu sur {uri} : {state}, non activé",
  "cli.doctor.device.unactivated.fix": "activez-le avec `stalela device activate --code CODE`",
  "cli.doctor.device.locked.fix": "`stalela device status` ; `stalela device self-test`",
  "cli.doctor.device.warnings": "{device} a répondu sur {uri} : {state}, alertes {warnings}",
  "cli.doctor.device.warnings.fix": "`stalela device status`",
  "cli.doctor.udev.missing":
    "la règle udev 99-stalela-def.rules n'est pas installée : un appareil fiscal branché n'appartient qu'à root",
  "cli.doctor.udev.missing.fix":
    "`cp udev/99-stalela-def.rules /etc/udev/rules.d/ && udevadm control --reload && udevadm trigger`",
  "cli.doctor.udev.installed": "règle udev installée dans {path}",
  "cli.doctor.clock.reset":
    "l'horloge de cet ordinateur indique {host}, avant 2024 : elle a été remise à zéro",
  "cli.doctor.clock.reset.fix":
    "`timedatectl set-ntp true` (ou `date -s 'YYYY-MM-DD HH:MM'`), puis relancez `stalela doctor`",
  "cli.doctor.clock.host": "cet ordinateur : {host}",
  "cli.doctor.clock.invalid":
    "l'horloge de l'appareil fiscal est INVALIDE (antérieure à son dernier enregistrement) : il refuse de sceller",
  "cli.doctor.clock.invalid.fix":
    "`stalela device time --set now` (l'appareil refuse les réglages de plus de 15 min : appelez le support)",
  "cli.doctor.clock.skewed": "l'horloge de l'appareil fiscal diffère de celle de cet ordinateur de {skew}",
  "cli.doctor.clock.skewed.fix":
    "vérifiez l'heure de cet ordinateur (`timedatectl`), puis `stalela device time --set now`",
  "cli.doctor.clock.ok": "horloge de l'appareil fiscal à {skew} de celle de cet ordinateur ({host})",
  "cli.doctor.disk.unreadable": "impossible de lire l'espace libre sur {path} : {error}",
  "cli.doctor.disk.free": "{gib} Gio libres sur {path}",
  "cli.doctor.disk.free.fix":
    "libérez de la place sur ce disque (anciens journaux : `journalctl --vacuum-size=200M`), ou déplacez --state",
  "cli.doctor.database.missing":
    "pas encore de stock dans {path} (le service le crée à son premier démarrage)",
  "cli.doctor.database.missing.fix":
    "vérifiez --state ; ou démarrez le service une fois : `systemctl start stalela-daemon`, " +
    "ou `stalela daemon --state DIR`",
  "cli.doctor.database.unopenable": "impossible d'ouvrir {path} : {error}",
  "cli.doctor.database.unopenable.fix":
    "vérifiez son propriétaire et ses droits (ls -l) ; restaurez une sauvegarde (docs/INSTALL.md)",
  "cli.doctor.database.corrupt": "{path} échoue à PRAGMA quick_check : {result}",
  "cli.doctor.database.no_answer": "aucune réponse",
  "cli.doctor.database.corrupt.fix":
    "arrêtez le service, mettez le fichier de côté, restaurez la dernière sauvegarde (docs/INSTALL.md §Backups)",
  "cli.doctor.database.newer":
    "la version de schéma {version} est plus récente que celle de cette version ({expected})",
  "cli.doctor.database.newer.fix": "mettez stalela à jour",
  "cli.doctor.database.older": "version de schéma {version} ; le service la migre en {expected} au démarrage",
  "cli.doctor.database.older.fix": "sauvegardez le stock, puis redémarrez le service",
  "cli.doctor.database.ok": "{path} : quick_check ok, version de schéma {version}",
  "cli.doctor.daemon.ok": "le service {version} répond sur {url}",
  "cli.doctor.daemon.none": "aucun service ne répond sur {url}",
  "cli.doctor.daemon.none_error": "aucun service ne répond sur {url} ({error})",
  "cli.doctor.cloud.skipped": "aucune URL de cloud donnée (--cloud URL ou $STALELA_CLOUD_URL) : non vérifié",
  "cli.doctor.cloud.ok": "{url} a répondu (HTTP {status})",
  "cli.doctor.cloud.unreachable": "{url} est injoignable",
  "cli.doctor.cloud.unreachable_error": "{url} est injoignable : {error}",
  "cli.doctor.cloud.unreachable.fix":
    "vérifiez le réseau, le DNS et le proxy (curl -I URL) ; les factures sont gardées et envoyées dès qu'il répond",
};

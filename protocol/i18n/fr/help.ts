/**
 * `stalela --help` en français, la langue par défaut : la description de chaque commande, option et
 * argument, les textes qui suivent l'aide d'une commande (codes de sortie…) et les mots de commander
 * lui-même, pour un technicien en RD Congo. protocol/i18n/en/help.ts a les mêmes clés ; cli/help.ts
 * dit comment elles sont nommées et remplies. Les noms de commandes et d'options, les variables
 * d'environnement, les codes (E115, FAILED…) et les noms de produits restent tels quels. Comme dans
 * fr/cli.ts, aucune apostrophe droite n'est écrite devant `{`, `}` ou une autre apostrophe (ce serait
 * une citation ICU).
 */
export const HELP_FR: Readonly<Record<string, string>> = {
  // Les mots de commander (cli/help.ts)
  "help.builtin.help": "afficher l'aide de la commande",
  "help.heading.usage": "Utilisation :",
  "help.heading.arguments": "Arguments :",
  "help.heading.options": "Options :",
  "help.heading.global_options": "Options globales :",
  "help.heading.commands": "Commandes :",
  "help.suffix.default": "par défaut : {value}",
  "help.suffix.choices": "valeurs : {values}",
  "help.suffix.preset": "valeur sans argument : {value}",
  "help.suffix.env": "variable d'environnement : {name}",

  // Options communes à plusieurs commandes (cli/state.ts, withDeviceOptions de cli/commands/device-connect.ts)
  "help.option.json": "sortie lisible par un programme",
  "help.option.state": "répertoire d'état du service (par défaut $STALELA_STATE_DIR, sinon {dir})",
  "help.option.state.admin-sock":
    "répertoire d'état du service, où se trouve admin.sock (par défaut $STALELA_STATE_DIR, sinon {dir})",
  "help.option.state.device":
    "répertoire d'état du service (par défaut $STALELA_STATE_DIR, sinon {dir}) : si un service répond " +
    "sur son admin.sock, la demande passe par lui",
  "help.option.device": "URI de l'appareil fiscal (par défaut $STALELA_DEVICE, sinon auto : détection USB)",
  "help.option.connect-timeout-ms": "temps d'attente maximal de l'appareil fiscal (ms)",
  // Textes de fin communs à plusieurs commandes
  "help.exits.device":
    "Codes de sortie : 0 ok, 2 arguments incorrects, 3 erreur ou refus de l'appareil fiscal, 1 autre échec.",
  "help.exits.queue":
    "Codes de sortie : 0 ok, 1 aucun service sur le socket d'administration (admin.sock) ou autre échec.",

  // `stalela` (cli/program.ts)
  "help.stalela":
    "Stalela Local Fiscal Service : émulateur DEF, service fiscal (daemon) et outils du technicien",
  "help.stalela.version": "afficher la version",
  "help.stalela.lang": "langue de l'affichage (par défaut : LANG, sinon fr)",

  // `stalela daemon` (cli/commands/daemon.ts)
  "help.daemon":
    "lancer le service fiscal : API HTTP des caisses sur 127.0.0.1, liaison avec l'appareil fiscal, stock",
  "help.daemon.config": "fichier de configuration JSON",
  "help.daemon.device":
    "appareil fiscal : serial:PATH, hid:VID:PID[:SERIAL], usb:VID:PID[:SERIAL], tcp:HOST:PORT, auto",
  "help.daemon.state": "répertoire d'état (stock SQLite)",
  "help.daemon.host": "adresse d'écoute de l'API des caisses (par défaut 127.0.0.1)",
  "help.daemon.port": "port de l'API des caisses (par défaut {port})",
  "help.daemon.log-level": "niveau des journaux : fatal, error, warn, info, debug, trace ou silent",
  "help.daemon.allow-emulator":
    "mode développement : accepter l'émulateur, la racine de développement du cloud et le http vers " +
    "la boucle locale",

  // `stalela config check` (cli/commands/config.ts)
  "help.config": "la configuration du service",
  "help.config.check": "valider la configuration ; afficher chaque paramètre, sa valeur et son origine",
  "help.config.check.config": "fichier de configuration JSON, tel que `stalela daemon --config FILE` le lit",
  "help.config.check.after": "Codes de sortie : 0 valide, 2 configuration invalide ou dangereuse (E3xx).",

  // `stalela demo` (cli/commands/demo.ts)
  "help.demo":
    "lancer l'émulateur du cloud + un appareil émulé + le service avec un état temporaire ; afficher " +
    "une commande curl prête à l'emploi",
  "help.demo.port": "port de l'API des caisses (par défaut {port}, ou un port libre s'il est pris)",
  "help.demo.state": "garder l'état dans ce répertoire plutôt que dans un répertoire temporaire",

  // `stalela emulator` (cli/commands/emulator.ts)
  "help.emulator": "lancer l'émulateur logiciel du DEF sur un port série virtuel (PTY) et/ou en TCP",
  "help.emulator.state": "répertoire d'état (mémoire fiscale)",
  "help.emulator.link": "chemin du lien symbolique du PTY (par défaut {path}, sauf avec --tcp)",
  "help.emulator.no-link": "ne pas ouvrir de PTY",
  "help.emulator.tcp": "écouter aussi en TCP (un hôte à la fois)",
  "help.emulator.control": "canal de contrôle (HTTP JSON), par ex. 127.0.0.1:7301",
  "help.emulator.nonce-ttl-ms": "durée de vie d'un nonce de PREPARE (par défaut {ms})",
  "help.emulator.max-pending": "nombre maximal de PREPARE en attente (par défaut {count})",
  "help.emulator.journal-capacity": "capacité du journal fiscal, en enregistrements (par défaut {count})",
  "help.emulator.max-time-adjust-ms": "plus grand réglage par TIME_SET une fois l'appareil activé",
  "help.emulator.cloud-root-key":
    "clé publique racine du Stalela Cloud à accepter (par défaut : la clé de développement)",
  "help.emulator.fault-seed": "graine de tous les tirages aléatoires de pannes (affichée)",
  "help.emulator.fill-journal": "démarrer avec le journal fiscal plein (capacité = enregistrements utilisés)",
  "help.emulator.log-level": "niveau des journaux sur stderr",
  // Les options de panne (FAULT_FLAGS)
  "help.emulator.drop-rate": "panne : probabilité de perdre une réponse, quelle qu'elle soit",
  "help.emulator.drop-next": "panne : perdre les N prochaines réponses",
  "help.emulator.drop-commit-rate": "panne : probabilité de perdre la réponse d'un COMMIT scellé",
  "help.emulator.drop-commit-next": "panne : perdre les réponses des N prochains COMMIT scellés",
  "help.emulator.delay-ms": "panne : retenir chaque réponse aussi longtemps, en ms (l'appareil reste occupé)",
  "help.emulator.corrupt-tx-rate":
    "panne : probabilité, par octet, d'inverser un bit dans ce que l'appareil envoie",
  "help.emulator.corrupt-rx-rate": "panne : probabilité, par octet, d'inverser un bit dans ce qu'il reçoit",
  "help.emulator.disconnect-commit-rate": "panne : probabilité de se débrancher après un scellement",
  "help.emulator.disconnect-commit-next": "panne : se débrancher après les N prochains scellements",
  "help.emulator.busy-rate": "panne : probabilité de répondre BUSY",
  "help.emulator.busy-next": "panne : répondre BUSY aux N prochaines requêtes",
  "help.emulator.clock-skew-ms": "panne : décaler l'heure de l'appareil (ms)",
  "help.emulator.journal-capacity-fault": "panne : capacité du journal fiscal en vigueur (panne)",

  // `stalela cloud-emulator` (cli/commands/cloud-emulator.ts)
  "help.cloud-emulator":
    "lancer le Stalela Cloud de référence (codes d'activation, envois, injection de pannes)",
  "help.cloud-emulator.port": "port TCP (0 en choisit un libre)",
  "help.cloud-emulator.host": "adresse d'écoute",
  "help.cloud-emulator.state": "répertoire d'état (SQLite)",
  "help.cloud-emulator.issue-code": "émettre CODE:MERCHANT_NIF:OUTLET_ID:FISCAL_AUTHORITY_ID (répétable)",
  "help.cloud-emulator.root-seed":
    "graine racine du cloud qui signe les bundles (par défaut : la graine de développement publique)",
  "help.cloud-emulator.verify-threads":
    "threads de travail qui vérifient les signatures des enregistrements (par défaut 0)",
  "help.cloud-emulator.fault": "panne au démarrage, par ex. fail_next=3, down=true (répétable)",

  // `stalela device …` (cli/commands/device.ts, device-info.ts, activate.ts, export.ts)
  "help.device": "dialoguer avec l'appareil fiscal (DEF) : via le service en marche, sinon directement",
  "help.device.info": "identité, clés, état et limites de l'appareil fiscal",
  "help.device.status": "état, compteurs, remplissage du journal, écart d'horloge et alertes",
  "help.device.time": "comparer l'horloge de l'appareil fiscal à celle de cet ordinateur, ou la régler",
  "help.device.time.set":
    "régler l'horloge de l'appareil fiscal : `now` (l'heure de cet ordinateur) ou une heure ISO avec Z " +
    "ou un décalage (2026-12-01T14:05:33+01:00)",
  "help.device.time.after":
    "Codes de sortie : 0 ok, 2 arguments incorrects, 3 erreur ou refus de l'appareil fiscal, 1 autre échec. " +
    "Un --set refusé (plus de 15 min une fois l'appareil activé) sort avec le code 3.",
  "help.device.self-test":
    "lancer l'autotest de l'appareil fiscal (clés, chaîne du journal, compteurs, mémoire, horloge)",
  "help.device.self-test.after":
    "Codes de sortie : 0 ok, 2 arguments incorrects, 3 erreur ou refus de l'appareil fiscal, 1 autre échec. " +
    "Un autotest en échec sort avec le code 3.",
  "help.device.activate":
    "activer l'appareil fiscal : en ligne avec un code (via le service) ou hors ligne avec un fichier bundle",
  "help.device.activate.code": "code d'activation du portail Stalela Cloud (le service doit être en marche)",
  "help.device.activate.bundle":
    "fichier bundle d'activation signé (fonctionne sans le service et hors ligne)",
  "help.device.activate.cloud":
    "URL du Stalela Cloud où enregistrer une activation par bundle (sans service)",
  "help.device.activate.allow-emulator":
    "mode développement sans service : accepter un appareil émulé, la racine de développement et un " +
    "cloud http en boucle locale",
  "help.device.activate.after":
    "Codes de sortie : 0 activé, 2 ni --code ni --bundle, ou les deux, ou pas de stock (le service n'a\n" +
    "jamais démarré), 3 refus de l'appareil fiscal (E103 déjà activé, E116 signature invalide, E117 autre\n" +
    "appareil, E118 bundle mal formé) ou pas d'appareil, 4 refus du cloud ou cloud injoignable (E500,\n" +
    "E502 code inconnu, E503 code déjà utilisé), ou pas de service pour --code.",
  "help.device.export":
    "exporter le journal de l'appareil fiscal (enregistrements signés) dans un fichier qu'un auditeur " +
    "peut vérifier hors ligne",
  "help.device.export.out": "où écrire l'export (JSON)",
  "help.device.export.from": "premier numéro fiscal (par défaut 1)",
  "help.device.export.to": "dernier numéro fiscal (par défaut : le dernier de l'appareil)",
  "help.device.export.force": "écraser --out s'il existe",
  "help.device.export.after":
    "Codes de sortie : 0 exporté, 3 erreur de l'appareil fiscal, 2 arguments incorrects (--out existe,\n" +
    "plage que l'appareil ne contient pas), 1 autre échec.",

  // `stalela verify` (cli/commands/verify.ts)
  "help.verify":
    "vérifier hors ligne un export du journal : signatures, codes, QR, chaîne, compteurs, heures, taxes " +
    "et totaux, factures, avoirs",
  "help.verify.export": "le fichier d'export (`stalela device export --out FILE`)",
  "help.verify.pubkey":
    "vérifier avec cette clé de l'appareil (celle que la DGI a enregistrée), pas avec celle du fichier",
  "help.verify.threads":
    "fils de travail qui vérifient les signatures et les QR (de 1 à {max} ; par défaut un par cœur, " +
    "{cores} ici ; 1 : aucun, tout sur le fil principal) ; le rapport est le même quel que soit le nombre",
  "help.verify.json": "rapport lisible par un programme, sur stdout",
  "help.verify.after":
    "Codes de sortie : 0 vérifié, 5 échec de la vérification, 2 arguments incorrects ou fichier illisible.",

  // `stalela verify-qr` (cli/commands/verify-qr.ts)
  "help.verify-qr":
    "lire le contenu du QR d'un reçu (RDCDEF01;…, v1 ou v2) et vérifier sa signature avec la clé de " +
    "l'appareil fiscal",
  "help.verify-qr.payload": "le texte du QR scanné (mettez-le entre guillemets : il contient des « ; »)",
  "help.verify-qr.pubkey":
    "la clé publique de l'appareil fiscal (hex) ; sans elle, rien ne peut être vérifié",
  "help.verify-qr.parse-only": "seulement lire ; sortir avec 0 si le contenu est bien formé",
  "help.verify-qr.json": "résultat lisible par un programme, sur stdout",
  "help.verify-qr.after":
    "Codes de sortie : 0 vérifié (ou lu avec --parse-only), 5 non vérifié, 2 --pubkey incorrecte.",

  // `stalela keys …` (cli/commands/keys.ts)
  "help.console": "la console d'exploitation (pages web du service, sur /console)",
  "help.console.password":
    "définir ou réinitialiser le mot de passe de la console ; il est demandé deux fois, sans écho",
  "help.console.password.stdin": "lire le mot de passe sur la première ligne de l'entrée standard (scripts)",
  "help.keys": "créer, lister et révoquer les clés API des caisses",
  "help.keys.create": "créer une clé API pour un caissier ; la clé n'est affichée qu'une fois",
  "help.keys.create.cashier": "caissier auquel la clé est liée (figure sur chaque enregistrement)",
  "help.keys.create.label": "à quoi sert la clé, par ex. la caisse",
  "help.keys.create.key-only": "afficher la clé seule sur une ligne, pour un script",
  "help.keys.list": "lister les clés API (jamais leur secret)",
  "help.keys.revoke": "révoquer une clé API ; les requêtes qui l'utilisent sont refusées dès lors",
  "help.keys.revoke.after":
    "Un id créé par une version antérieure peut commencer par - : placez-le après --, comme dans\n" +
    "`stalela keys revoke -- -_fvRXGGTnUU`.",

  // `stalela queue …` (cli/commands/queue.ts)
  "help.queue": "la file d'envoi vers le Stalela Cloud (le service doit être en marche)",
  "help.queue.status": "nombre d'envois en attente, en échec et acquittés, conditions de synchronisation",
  "help.queue.list": "les envois de la file dans l'ordre, avec leurs tentatives et la dernière erreur",
  "help.queue.list.failed": "seulement les envois abandonnés (FAILED)",
  "help.queue.retry": "remettre dans la file les envois FAILED : tous, ou ceux des factures données (ids)",

  // `stalela invoice …` (cli/commands/invoice.ts, receipt.ts)
  "help.invoice": "rechercher des factures dans le stock du service",
  "help.invoice.get": "une facture par id, Idempotency-Key ou client_ref : état, numéro fiscal, QR, envoi",
  "help.invoice.get.json": "l'InvoiceView de l'API, en JSON",
  "help.invoice.get.after": "Codes de sortie : 0 trouvée, 2 inconnue (E115 RECORD_NOT_FOUND), 1 autre échec.",
  "help.invoice.receipt":
    "le reçu d'une facture scellée ; le premier est l'original, chacun des suivants un DUPLICATA",
  "help.invoice.receipt.format": "format du reçu",
  "help.invoice.receipt.width": "caractères par ligne : 32 (58 mm), 42 ou 48 (80 mm)",
  "help.invoice.receipt.tz": "le fuseau horaire de la boutique",
  "help.invoice.receipt.preview": "un aperçu à l'écran, non compté et marqué comme n'étant pas un reçu",
  "help.invoice.receipt.out": "écrire dans ce fichier (obligatoire pour escpos et pdf sur un terminal)",
  "help.invoice.receipt.json": "un échec en JSON sur stdout (le reçu lui-même n'est jamais en JSON)",

  // `stalela journal …` (cli/commands/journal.ts)
  "help.journal":
    "les ruptures de chaîne trouvées dans le journal de l'appareil fiscal, et leur acquittement",
  "help.journal.breaks": "lister chaque rupture de chaîne, acquittée ou non",
  "help.journal.ack":
    "acquitter les ruptures de chaîne ouvertes après avoir vérifié l'appareil fiscal ; lève la condition " +
    "d'état",
  "help.journal.ack.by": "qui a vérifié l'appareil fiscal (inscrit dans le journal d'audit)",
  "help.journal.ack.record": "seulement la rupture à ce numéro fiscal",

  // `stalela backup` (cli/commands/backup.ts)
  "help.backup": "écrire une copie cohérente du stock du service (sans risque pendant que le service tourne)",
  "help.backup.out": "la copie à écrire (ne doit pas exister)",

  // `stalela doctor` (cli/commands/doctor.ts)
  "help.doctor":
    "vérifier l'accès à l'appareil fiscal, udev, les horloges, le disque, le stock, le service et le " +
    "cloud ; dire comment corriger chaque problème",
  "help.doctor.url": "l'API du service",
  "help.doctor.cloud":
    "URL du Stalela Cloud à tester (par défaut $STALELA_CLOUD_URL ; non testé si aucune des deux)",
  "help.doctor.device-timeout-ms": "temps d'attente maximal de l'appareil fiscal (ms)",
  "help.doctor.json": "rapport lisible par un programme",
  "help.doctor.after":
    "Codes de sortie : 0 aucun échec (alertes permises), 3 la vérification de l'appareil fiscal a\n" +
    "échoué, 4 seule la vérification du cloud a échoué, 1 une autre vérification a échoué.",
  // `stalela report …` (cli/commands/report.ts)
  "help.report":
    "les rapports de la journée fiscale : X, Z (clôture), A (articles) (le service doit être en marche)",
  "help.report.z":
    "clôturer la journée fiscale : rapport Z signé par l'appareil fiscal, avec les clôtures mensuelle et annuelle qu'il entraîne",
  "help.report.x": "rapport X : les chiffres de la journée en cours, sans la clôturer",
  "help.report.a":
    "A-rapport : ventes et retours par article, depuis le dernier A-rapport (ou de --from à --to)",
  "help.report.a.from": "premier numéro fiscal couvert",
  "help.report.a.to": "dernier numéro fiscal couvert (par défaut le dernier de l'appareil fiscal)",
  "help.report.list": "les rapports gardés par le service, du plus récent au plus ancien",
  "help.report.list.kind": "seulement ce type de rapport",
  "help.report.list.limit": "nombre maximal de rapports",
  "help.report.show": "un rapport gardé, par type et numéro (par exemple : Z_REPORT 12)",
  "help.report.show.kind": "le type : Z_REPORT, MONTH_CLOSURE, YEAR_CLOSURE ou A_REPORT",
  "help.report.show.number": "son numéro",
  "help.option.width": "caractères par ligne du rapport imprimé : 32 (58 mm), 42 ou 48 (80 mm)",
  "help.exits.report":
    "Codes de sortie : 0 ok, 2 arguments incorrects ou rapport inconnu, 3 erreur ou refus de l'appareil fiscal, 1 aucun service sur admin.sock ou autre échec.",
};

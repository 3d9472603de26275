/**
 * The French text of every error in protocol/errors.ts's ERRORS table, keyed `error.<NAME>`, for the
 * shop owner, the cashier and the technician. Merged into the French catalogue (protocol/i18n/fr.ts).
 */
export const ERRORS_FR: Readonly<Record<string, string>> = {
  "error.DEVICE_UNAVAILABLE": "l'appareil fiscal n'est pas connecté",
  "error.DEVICE_BUSY": "l'appareil fiscal est occupé, réessayez plus tard",
  "error.DEVICE_NOT_ACTIVATED": "l'appareil fiscal n'est pas activé",
  "error.DEVICE_ALREADY_ACTIVATED": "l'appareil fiscal est déjà activé",
  "error.DEVICE_LOCKED": "l'appareil fiscal est verrouillé",
  "error.JOURNAL_FULL": "le journal fiscal est plein",
  "error.CLOCK_INVALID": "l'horloge de l'appareil fiscal n'est pas valide",
  "error.TIME_SET_REFUSED": "l'appareil fiscal a refusé la nouvelle heure",
  "error.SELF_TEST_FAILED": "l'autotest de l'appareil fiscal a échoué",
  "error.DEVICE_TIMEOUT": "l'appareil fiscal n'a pas répondu à temps",
  "error.PENDING_LIMIT": "trop de factures préparées sont en attente sur l'appareil fiscal",
  "error.NONCE_UNKNOWN": "le nonce de validation est inconnu ou déjà utilisé",
  "error.NONCE_EXPIRED": "le nonce de validation a expiré",
  "error.NONCE_MISMATCH": "le nonce de validation est lié à un autre contenu",
  "error.ALREADY_FISCALIZED": "ce contenu de facture est déjà fiscalisé",
  "error.RECORD_NOT_FOUND": "aucun enregistrement fiscal ne correspond",
  "error.ACTIVATION_BAD_SIGNATURE": "la signature du fichier d'activation n'est pas valide",
  "error.ACTIVATION_WRONG_DEVICE": "le fichier d'activation est destiné à un autre appareil fiscal",
  "error.ACTIVATION_INVALID": "le fichier d'activation est mal formé",
  "error.DEVICE_QUEUE_FULL": "trop de demandes attendent l'appareil fiscal",
  "error.DEVICE_IDENTITY_MISMATCH": "l'appareil fiscal connecté n'est pas celui auquel ce service est lié",
  "error.DEVICE_UNTRUSTED":
    "l'appareil fiscal connecté n'est pas de confiance : son activation ne remonte pas à la clé racine " +
    "épinglée du cloud ou désigne un autre commerçant ou point de vente, ou bien c'est un émulateur",
  "error.REPORT_NUMBER_MISMATCH":
    "le prochain numéro de Z de l'appareil n'est pas celui demandé : cette journée est peut-être déjà clôturée",
  "error.DAY_NOT_CLOSED":
    "la journée fiscale n'est toujours pas clôturée longtemps après son heure de clôture : faites d'abord le rapport Z",
  "error.FRAME_CRC": "le contrôle de la trame a échoué",
  "error.FRAME_TOO_LARGE": "la trame dépasse la taille maximale",
  "error.FRAME_VERSION": "version de trame non prise en charge",
  "error.FRAME_TYPE": "type de trame inattendu",
  "error.CBOR_INVALID": "les données ne sont pas du CBOR valide",
  "error.CBOR_NOT_CANONICAL": "les données ne sont pas en CBOR canonique (déterministe)",
  "error.MESSAGE_INVALID": "le message ne correspond pas au catalogue",
  "error.UNKNOWN_COMMAND": "commande inconnue",
  "error.SIGNATURE_INVALID": "la vérification d'une signature a échoué",
  "error.HID_REASSEMBLY": "le réassemblage des rapports USB-HID a échoué",
  "error.INVOICE_INVALID": "la facture n'est pas valide",
  "error.FIELD_REQUIRED": "un champ obligatoire manque",
  "error.FIELD_TYPE": "un champ n'a pas le bon type ou le bon format",
  "error.FIELD_RANGE": "un champ est hors de la plage autorisée",
  "error.FIELD_UNKNOWN": "un champ inconnu a été envoyé",
  "error.TAX_GROUP_UNKNOWN": "groupe de taxation inconnu",
  "error.TAX_GROUP_NOT_ALLOWED": "groupe de taxation non autorisé pour ce type de facture",
  "error.TOTALS_MISMATCH": "les totaux ne concordent pas",
  "error.PAYMENTS_MISMATCH": "la somme des paiements ne correspond pas au total",
  "error.REFERENCE_REQUIRED": "une facture d'avoir doit faire référence à sa facture d'origine",
  "error.REFERENCE_FORBIDDEN": "seules les factures d'avoir portent une référence",
  "error.REFERENCE_TYPE_MISMATCH": "la facture d'origine référencée n'a pas le bon type de facture",
  "error.REFERENCE_NOT_FOUND": "la facture d'origine référencée est inconnue",
  "error.CREDIT_EXCEEDS_ORIGINAL": "le montant de l'avoir dépasse ce qui reste de la facture d'origine",
  "error.CURRENCY_UNSUPPORTED": "devise non prise en charge",
  "error.QUANTITY_PRECISION": "la quantité a plus de 3 décimales",
  "error.INVOICE_TOO_LARGE": "la facture est trop volumineuse",
  "error.VOID_NOT_FULL": "une annulation doit contrepasser tout ce qui reste de la facture d'origine",
  "error.CURRENCY_MISMATCH": "la devise de la facture d'avoir diffère de celle de la facture d'origine",
  "error.IDEMPOTENCY_CONFLICT": "cette Idempotency-Key a été utilisée avec une autre demande",
  "error.IDEMPOTENCY_KEY_REQUIRED": "l'en-tête Idempotency-Key est obligatoire",
  "error.REQUEST_IN_PROGRESS": "une demande avec cette Idempotency-Key est encore en cours",
  "error.INVALID_STATE": "la facture n'est pas dans un état qui permet cette opération",
  "error.USAGE":
    "la ligne de commande n'est pas valide : une option inconnue, un argument manquant ou une valeur " +
    "incorrecte",
  "error.ABORTED_BY_POS": "la caisse a abandonné cette facture préparée ; rien n'a été scellé",
  "error.INTERRUPTED":
    "la demande a été interrompue avant que l'appareil fiscal la scelle (un redémarrage, une liaison " +
    "perdue ou son délai maximal) ; rien n'a été scellé",
  "error.CONFIG_INSECURE":
    "la configuration n'est pas sûre : un cloud en http simple ou sans authentification, une écoute sur " +
    "une adresse autre que la boucle locale, ou l'émulation hors du mode de développement",
  "error.AMOUNT_NOT_POSITIVE": "une facture ou une ligne a un montant nul ou négatif (SFE EG1.21–1.22)",
  "error.CLIENT_FIELDS_MISSING": "le type de client exige des champs qui manquent (SFE Annexe I)",
  "error.ITEM_TYPE_NOT_ALLOWED":
    "le type d'article n'est pas autorisé dans ce groupe de taxation (SFE Annexe II)",
  "error.CREDIT_ITEM_NOT_ON_ORIGINAL":
    "un article de la facture d'avoir ne figure pas sur la facture d'origine (SFE EG1.26)",
  "error.CREDIT_QUANTITY_EXCEEDED":
    "la quantité d'un article de la facture d'avoir dépasse ce qui reste de la quantité vendue (SFE EG1.26)",
  "error.CREDIT_PRICE_MISMATCH":
    "le prix unitaire ou le mode de prix d'un article de la facture d'avoir diffère de celui de la facture " +
    "d'origine (SFE EG1.26)",
  "error.FX_RATE_OUT_OF_RANGE":
    "le taux de change s'écarte du taux de référence de plus que la tolérance autorisée (SFE EG1.30)",
  "error.FX_REFERENCE_MISSING": "aucun taux de change de référence n'est configuré pour cette devise",
  "error.SELLER_MISMATCH":
    "le vendeur de la facture n'est pas le commerçant pour lequel cet appareil fiscal est activé",
  "error.SFE_NOT_CONFIGURED":
    "l'identité du SFE n'est pas configurée (ISF, nom et adresse du commerçant) : rien ne peut être scellé",
  "error.STORAGE_FAILURE": "le stockage fiscal a échoué",
  "error.JOURNAL_CORRUPT": "le journal fiscal est corrompu",
  "error.STATE_LOCKED": "le dossier d'état est utilisé par un autre processus",
  "error.ADDRESS_IN_USE": "l'adresse réseau est déjà utilisée",
  "error.LINK_PATH_IN_USE": "le chemin de liaison de l'appareil est déjà servi par un autre émulateur",
  "error.CLOUD_UNREACHABLE": "le Stalela Cloud est injoignable",
  "error.CLOUD_REJECTED": "le Stalela Cloud a rejeté la demande",
  "error.ACTIVATION_CODE_UNKNOWN": "le code d'activation est inconnu",
  "error.ACTIVATION_CODE_USED": "le code d'activation a déjà été utilisé",
  "error.CLOUD_NOT_ACTIVATED":
    "le service n'a pas d'identifiant d'accès au Stalela Cloud : activez d'abord l'appareil fiscal",
  "error.CLOUD_NOT_CONFIGURED": "aucune URL du Stalela Cloud n'est configurée : rien n'est envoyé",
  "error.CLOUD_REPLY_INVALID": "la réponse du Stalela Cloud ne respecte pas le contrat",
  "error.CLOUD_ACK_MISMATCH":
    "un accusé de réception du cloud ne correspond à aucun enregistrement envoyé par le service",
  "error.AUTH_MISSING": "une authentification est requise",
  "error.AUTH_INVALID": "l'identifiant d'accès n'est pas valide",
  "error.AUTH_REVOKED": "l'identifiant d'accès a été révoqué",
  "error.HOST_REJECTED": "l'en-tête Host n'est pas autorisé",
  "error.CLOUD_CREDENTIAL_INVALID": "le Stalela Cloud a refusé l'identifiant d'accès du service",
};

/**
 * Les mots du résumé de `stalela verify` en français (docs/EXPORT.md §3) : le verdict, les comptes,
 * et ce que signifie chaque raison d'échec. Les messages propres aux échecs restent en anglais.
 */
export const AUDIT_FR: Readonly<Record<string, string>> = {
  "verify.verified": "VÉRIFIÉ",
  "verify.failed": "ÉCHEC DE LA VÉRIFICATION",
  "verify.device":
    "appareil {device}, numéros fiscaux {from}–{to}{partial}, {records, plural, one {# enregistrement} other {# enregistrements}}",
  "verify.partial": " (l'appareil en avait {last} : un export partiel)",
  "verify.key.pinned": "clé {key} (épinglée avec --pubkey)",
  "verify.key.file": "clé {key} (prise dans le fichier : épinglez la clé enregistrée avec --pubkey)",
  "verify.key.none": "(aucune)",
  "verify.counts": "vérifiés {verified}, en échec {failed}, manquants {missing}",
  "verify.genesis": "chaîne vérifiée depuis l'enregistrement d'activation (genèse)",
  "verify.no_genesis": "chaîne vérifiée à partir du numéro fiscal {from} ; la genèse n'a pas été vérifiée",
  "verify.last_hash": "dernière empreinte {hash}",
  "verify.prints": "reçus imprimés {printed}, dont DUPLICATA {duplicates}",
  "verify.reports":
    "rapports Z {z}, clôtures mensuelles {months}, annuelles {years} ; journées recalculées {checked}, non recalculées {unchecked} ; factures de la journée ouverte {open}",
  "verify.more": "… et {count} autres échecs {reason} (--json les liste tous)",
  "verify.bad_records": "enregistrements en défaut : {ranges}",
  "verify.unchecked":
    "{count, plural, one {# facture d'avoir référence} other {# factures d'avoir référencent}} une facture d'origine absente de ce fichier (non vérifiées) :",
  "verify.unchecked.before_range": "avant la plage",
  "verify.unchecked.other_device": "autre appareil",
  "verify.unchecked.more": "… et {count} de plus",
  "verify.reasons": "ce que signifient les raisons :",
  "verify.wrong_key":
    "aucun enregistrement ne se vérifie avec cette clé ({bad} signatures sur {readable} échouent) : ",
  "verify.wrong_key.pinned": "mauvaise --pubkey ? Épinglez la clé enregistrée pour cet appareil",
  "verify.wrong_key.file": "la clé du fichier n'est pas celle qui a signé ses enregistrements",
  "verify.reason.malformed":
    "l'entrée n'est pas une entrée d'export bien formée (un champ manquant ou inconnu, un base64url invalide)",
  "verify.reason.non_canonical":
    "les octets de l'enregistrement sont du CBOR mais pas en encodage déterministe",
  "verify.reason.not_a_record": "les octets ne sont pas un enregistrement fiscal",
  "verify.reason.index_mismatch": "le fiscal_number de l'entrée n'est pas celui qui est signé",
  "verify.reason.signature": "la signature de l'enregistrement ne se vérifie pas avec la clé",
  "verify.reason.auth_code": "le code imprimé n'est pas celui qui découle de la signature",
  "verify.reason.qr_invalid": "le QR ne se lit pas ou sa signature ne se vérifie pas",
  "verify.reason.qr_mismatch": "le QR est authentique mais ses champs sont ceux d'un autre enregistrement",
  "verify.reason.chain_break":
    "prev_hash n'est pas l'empreinte de l'enregistrement précédent (ou de l'activation)",
  "verify.reason.counter_gap": "des numéros fiscaux de la plage manquent",
  "verify.reason.type_counter_gap": "un compteur par type saute ou se répète",
  "verify.reason.duplicate": "un numéro fiscal ou un contenu de facture apparaît deux fois",
  "verify.reason.out_of_order": "l'entrée vient après un numéro fiscal plus élevé",
  "verify.reason.time_backwards": "émis avant l'enregistrement précédent, ou avant l'activation",
  "verify.reason.foreign_device":
    "l'enregistrement nomme un autre appareil, NIF, point de vente ou autorité fiscale",
  "verify.reason.out_of_range": "le numéro fiscal est hors de la plage déclarée",
  "verify.reason.tax_table_unknown":
    "la table de taxes n'est pas une version connue, ou pas celle de la version de l'enregistrement",
  "verify.reason.tax_arithmetic":
    "le taux ou la taxe d'un groupe n'est pas ce que donnent sa table et sa règle d'arrondi",
  "verify.reason.totals_sum": "le total ou le total des taxes n'est pas la somme des groupes",
  "verify.reason.export_group": "une exportation taxée hors du groupe E, ou le groupe E sur un autre type",
  "verify.reason.reference_rule":
    "une facture d'avoir sans référence, un autre type avec une référence, ou une règle de nature enfreinte",
  "verify.reason.credit_exceeds":
    "avec les avoirs précédents, plus est crédité que le total de la facture d'origine",
  "verify.reason.void_not_full": "une annulation (VOID, RAN) qui ne reprend pas exactement ce qui restait",
  "verify.reason.credit_reference":
    "l'avoir référence un type qu'il ne peut pas créditer, un enregistrement postérieur, ou une facture absente du fichier",
  "verify.reason.credit_currency": "l'avoir est dans une autre devise que sa facture d'origine",
  "verify.reason.duplicate_client_ref": "le client_ref a déjà été scellé",
  "verify.reason.invoice_missing": "un enregistrement version 2 dont l'entrée ne porte pas de facture",
  "verify.reason.payload_hash":
    "les octets de la facture n'ont pas l'empreinte payload_hash de l'enregistrement",
  "verify.reason.invoice_invalid":
    "la facture échoue à la validation de l'appareil lui-même (le code est dans le message)",
  "verify.reason.invoice_mismatch": "l'enregistrement dit autre chose que sa facture",
  "verify.reason.credit_lines":
    "une ligne créditée n'est pas sur la facture d'origine, change son prix, ou dépasse ce qui a été vendu",
  "verify.reason.prints_invalid":
    "le journal des reçus (prints du format /3) est mal formé, mal numéroté ou pas dans l'ordre du temps",
  "verify.reason.report_malformed":
    "l'entrée n'est pas une entrée de rapport (champ manquant, base64url invalide), ou son kind et son number ne sont pas ceux du rapport signé",
  "verify.reason.report_not_a_report":
    "les octets ne sont pas un rapport journalisé en CBOR canonique (Z, clôture mensuelle ou annuelle)",
  "verify.reason.report_signature": "la signature du rapport ne se vérifie pas avec la clé de l'appareil",
  "verify.reason.report_foreign_device":
    "le rapport nomme un autre appareil ou une autre identité de commerçant",
  "verify.reason.report_duplicate": "le même rapport (type et numéro) figure deux fois",
  "verify.reason.report_gap":
    "un numéro de rapport manque entre deux numéros du fichier, ou le premier d'un export complet n'est pas 1",
  "verify.reason.report_chain":
    "prev_report_hash n'est pas le rapport précédent de son type, ou prev_hash n'est pas sa place dans la chaîne du journal",
  "verify.reason.report_range":
    "la journée d'un Z n'est pas celle des factures après le Z précédent (premier, dernier numéro ou period_from)",
  "verify.reason.report_figures":
    "les chiffres d'un Z ne sont pas ceux recalculés à partir des factures de sa journée",
  "verify.reason.report_time":
    "le rapport est antérieur à une facture qu'il couvre, ou au rapport qui le précède",
  "verify.reason.closure_period":
    "une clôture somme un Z d'une autre période, ou sa plage de Z ne suit pas celle de la clôture précédente",
  "verify.reason.closure_sums":
    "les chiffres, le nombre de ventes incomplètes ou les numéros fiscaux d'une clôture ne sont pas les sommes de ses Z",
  "verify.reason.closure_missing":
    "un nouveau mois (ou une nouvelle année) a commencé entre deux Z sans clôture de l'ancien dans le journal",
  "verify.reason.format":
    "pas un export /1 à /4, un champ d'en-tête manquant, mal typé ou inconnu, ou exported_at pas en ISO 8601",
  "verify.reason.public_key": "la clé du fichier est mal formée, ou n'est pas la clé épinglée",
  "verify.reason.activation":
    "l'enregistrement d'activation est mal formé, non signé, ou nomme une autre clé ou un autre appareil",
  "verify.reason.range": "la plage déclarée est incohérente",
};

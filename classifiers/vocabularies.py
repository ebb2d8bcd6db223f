"""Keyword tables for headers and values: quasi-identifier and special-category vocabularies.

Header patterns are regexes searched in the *normalised* header (lower case, runs of
non-alphanumerics replaced by ``_``, see :func:`normalise_header`). Value vocabularies are sets
of lower-cased, stripped values.
"""

from __future__ import annotations

import re

__all__ = [
    "ADDRESS_HEADER",
    "ADDRESS_SHAPE",
    "ADDRESS_VALUE",
    "AGE_VALUE",
    "AGGREGATE_HEADER",
    "AMOUNT_HEADER",
    "AREA_CODE_VALUE",
    "BIRTH_HEADER",
    "BUILDING_WORDS",
    "CONTEXT_QI_KIND",
    "DATE_HEADER",
    "DATE_VALUE",
    "FEATURE_WORDS",
    "FORENAMES",
    "GENERIC_STATE_VALUES",
    "HEADER_CONTEXT_QI",
    "HEADER_QI",
    "HEADER_SENSITIVE",
    "HOUSE_WORDS",
    "NAME_HEADER",
    "NAME_HEADER_GENERIC",
    "NAME_HEADER_NEGATIVE",
    "NAME_SHAPE",
    "NUMERIC_VALUE",
    "ORGANISATION_HEADER",
    "PERSONAL_CONTACT_HEADER",
    "PLACE_WORDS",
    "POSTAL_CODE_VALUE",
    "RECIPIENT_HEADER",
    "SMALL_WORDS",
    "STREET_SUFFIXES",
    "SURVEY_WEIGHT_HEADER",
    "TITLES",
    "VALUE_QI",
    "VALUE_SENSITIVE",
    "header_matches",
    "is_free_text",
    "normalise_header",
]


def normalise_header(name: object) -> str:
    """Lower-case ``name`` and replace runs of non-alphanumerics by ``_`` (camelCase split)."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name))
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def header_matches(pattern: str, header: str) -> bool:
    """True when regex ``pattern`` is found in the normalised ``header``."""
    return re.search(pattern, header) is not None


# Word boundaries in normalised headers are "_" or the ends.
_B = r"(?:^|_)"
_E = r"(?:$|_)"

#: header words of aggregate / measurement columns (counts are not attributes of a person)
AGGREGATE_HEADER = (
    rf"{_B}(count|counts|total|totals|number_of|num|no_of|n|rate|rates|percent|percentage|pct"
    rf"|share|sum|avg|mean|median|per_\w+|proportion|ratio){_E}|_count$|_total$|_rate$"
)

HEADER_QI: dict[str, str] = {
    "age": rf"{_B}(age|ages|age_band|age_group|age_range|aged|age_at_\w+|age_years){_E}",
    "sex": rf"{_B}(sex|gender|gender_identity){_E}",
    "date_of_birth": rf"{_B}(dob|d_o_b|birth|birthdate|birth_date|date_of_birth|dateofbirth"
    rf"|born|birthday){_E}",
    "postcode": rf"{_B}(postcode|post_code|postal_code|zip|zipcode|pcode){_E}",
    "area": rf"{_B}(ward|wards|lsoa|msoa|oa|output_area|locality|district|neighbourhood"
    rf"|neighborhood|parish|lsoa\d*\w*|msoa\d*\w*|ward_\w+|lad|local_authority){_E}",
    "ethnicity": rf"{_B}(ethnicity|ethnic|ethnic_group|ethnic_origin|race){_E}",
    "occupation": rf"{_B}(occupation|job|job_title|profession|employment|employer|role_title"
    rf"|soc|soc_code){_E}",
    "event_date": rf"{_B}(date|dt|timestamp|datetime|date_of_\w+|\w+_date|admission|admitted"
    rf"|referral|referred|incident|discharge|arrest|visit|appointment|reported){_E}",
    "marital_status": rf"{_B}(marital|marital_status|civil_status|civil_partnership|married"
    rf"|relationship_status){_E}",
    "nationality": rf"{_B}(nationality|nationalities|citizenship|country_of_birth|birth_country"
    rf"|place_of_birth\w*|country_of_origin|native_country|origin_country|native_language"
    rf"|first_language|main_language|immigration_status){_E}",
}

#: header words of attributes that are quasi-identifiers only in data about people (the
#: school or clinic someone attends, their household, town or language; in a list of schools
#: or clinics the same words describe places): kind -> pattern
HEADER_CONTEXT_QI: dict[str, str] = {
    "education": rf"{_B}(education|education_level|educational_attainment|highest_qualification"
    rf"|qualification|qualifications|school_year|year_group|key_stage|school|school_name"
    rf"|school_attended|college|university){_E}",
    "employment": rf"{_B}(workclass|work_class|employment_status|economic_activity"
    rf"|economic_status|employment_type|working_status|work_status|hours_per_week){_E}",
    "household": rf"{_B}(relationship|relationship_to_head|household_size|household_type"
    rf"|household_composition|household_members|tenure|housing_tenure|living_arrangements"
    rf"|lives_alone|living_alone|dependants|dependents){_E}",
    "service_place": rf"{_B}(clinic|clinic_name|clinic_location|hospital|hospital_name"
    rf"|hospital_site|care_home|venue|pickup|pickup_location|pickup_point|dropoff|drop_off"
    rf"|destination|service_location){_E}",
    "residence": rf"{_B}(town|city|current_town|town_of_residence|place_of_residence|residence"
    rf"|municipality|village|home_town|hometown){_E}",
    "language": rf"{_B}(language|languages|spoken_language|preferred_language|home_language){_E}",
}
#: the QI kind of a contextual attribute where it is not the attribute's own name
CONTEXT_QI_KIND: dict[str, str] = {"residence": "area", "language": "nationality"}
#: a postal code written as digits (ZIP codes, most European postcodes)
POSTAL_CODE_VALUE = r"\d{4,5}(?:-\d{4})?"

#: a criminal charge; not a fee or a charging point ("parking_charge", "ev_charge_points")
_CHARGE = (
    r"(?<!parking_)(?<!penalty_)(?<!service_)charges?"
    r"(?!_(?:point|points|rate|rates|band|bands|amount|amounts|type|types))"
)
HEADER_SENSITIVE: dict[str, str] = {
    "health": rf"{_B}(health|diagnosis|diagnoses|condition|conditions|medical|medication"
    rf"|medications|prescription|mental_health|illness|disease|treatment|symptom|symptoms"
    rf"|clinical|icd\d*|gp_\w+|care_need|care_needs|pregnan\w*){_E}",
    "disability": rf"{_B}(disability|disabilities|disabled|impairment|sen|send|ehcp"
    rf"|special_educational\w*){_E}",
    "offence": rf"{_B}(crime|crimes|offence|offences|offense|offenses|offender|conviction"
    rf"|convictions|caution|cautions|criminal|sentence|arrest|arrests|{_CHARGE}"
    rf"|dbs){_E}",
    "benefit": rf"{_B}(benefit|benefits|universal_credit|uc|housing_benefit|pip|esa|jsa"
    rf"|council_tax_reduction|ctr|ctrs|pension_credit|free_school_meals|fsm"
    rf"|income_support|dla|attendance_allowance){_E}",
    "religion": rf"{_B}(religion|religious|faith|belief|beliefs|denomination){_E}",
    "sexuality": rf"{_B}(sexuality|sexual_orientation|orientation|lgbt\w*){_E}",
    "political": rf"{_B}(political|politics|party_membership|political_opinion|voting"
    rf"|vote_intention){_E}",
    "trade_union": rf"{_B}(trade_union|union_member\w*|union){_E}",
    "genetic_biometric": rf"{_B}(genetic|genome|dna|biometric|biometrics|fingerprint"
    rf"|fingerprints|face_template|iris){_E}",
    "safeguarding": rf"{_B}(safeguarding|child_protection|cp_plan|looked_after|lac|cla"
    rf"|child_in_need|cin|domestic_abuse|domestic_violence|dv|refuge|at_risk|mash"
    rf"|care_leaver|foster\w*){_E}",
}

#: headers of those paid or funded (Transparency Code spend, 360Giving grants): mostly
#: organisations, sometimes individuals (sole traders, individual artists)
RECIPIENT_HEADER = (
    rf"{_B}(recipient|recipient_name|payee|payee_name|beneficiary|beneficiary_name|grantee"
    rf"|awardee|supplier|supplier_name|vendor|vendor_name|creditor|merchant|contractor){_E}"
)
NAME_HEADER = (
    rf"^(name|names)$|{_B}(forename|forenames|surname|surnames|first_name|firstname|last_name"
    rf"|lastname|given_name|family_name|full_name|fullname|middle_name|contact|contact_name"
    rf"|resident|resident_name|patient|patient_name|client|client_name|officer|officer_name"
    rf"|caseworker|case_worker|applicant|claimant|tenant|customer|complainant|pupil|student"
    rf"|child|parent|carer|person|staff|employee|owner|keeper|driver|requester){_E}"
)
#: headers of surnames alone (their values start with no given name)
SURNAME_HEADER = (
    rf"{_B}(surname|surnames|last_name|lastname|family_name|familyname|maiden_name){_E}"
)
#: any "..._name" header: a weaker hint (supplier_name, venue_name ...)
NAME_HEADER_GENERIC = rf"_name{_E}"
#: names that look like names but are not persons' (street_name, ward_name ...)
NAME_HEADER_NEGATIVE = (
    rf"{_B}(street|road|ward|area|place|site|school|company|business|organisation"
    rf"|organization|org|file|column|field|sheet|product|scheme|service|team|dept"
    rf"|department|location|building|asset|sensor|device|station|route|stop|lsoa|msoa"
    rf"|district|parish|town|city|county|region|country|event|category|type|status)_name{_E}"
)
#: headers of a person's national or official identification number (a social security,
#: National Insurance, passport, driving licence, tax or health number of any country)
PERSONAL_ID_HEADER = (
    rf"{_B}(ssn|soc_sec|soc_sec_id|soc_sec_no|social_security|social_security_number"
    rf"|social_security_no|national_insurance|national_insurance_number|ni_number|ni_no|nino"
    rf"|passport|passport_no|passport_number|driving_licence|driving_license|licence_number"
    rf"|license_number|tax_id|tax_number|tin|utr|medicare|medicare_number|nhs_no|nhs_number"
    rf"|chi|chi_number|national_id|id_card|id_number|personal_number|personnummer|bsn){_E}"
)
#: headers of the house or flat number of an address kept in its own column
HOUSE_NUMBER_HEADER = (
    rf"{_B}(street_number|street_no|house_number|house_no|house_num|building_number"
    rf"|building_no|flat_number|flat_no|property_number|paon|saon|door_number){_E}"
)
#: headers of a person's or household's money (income, earnings, wages, tax paid, savings,
#: spending), searched in the normalised header: also the compact names of household surveys
#: ("FEDTAX", "TAXINC", "AGI", "WSALVAL" wage and salary value, "PEARNVAL" earnings value);
#: never "taxi" or "taxonomy"
AMOUNT_HEADER = (
    r"income|(?<!l)earn|ernval|wage|salar|salval|pension|savings|expenditure|expend"
    r"|tax(?!i(?!nc)|onom)|fica|(?:^|_)(?:agi|pay|gross_pay|net_pay|take_home|rent_paid)(?:_|$)"
)
#: headers of a survey's sampling weight: the rows are a sample of people or households
SURVEY_WEIGHT_HEADER = (
    rf"{_B}(a?fnlwgt|wgt|wght|pwgt|hwgt|hhwgt|perwt|hhwt|sampling_weight|sampling_weights"
    rf"|survey_weight|design_weight|person_weight|household_weight|household_weights"
    rf"|final_weight|grossing_factor|grossing_weight|expansion_factor|weight_factor){_E}"
)
#: headers naming a person whose values may be a key for them ("patient", "client_id")
PERSON_KEY_HEADER = (
    rf"{_B}(patient|patient_id|patient_no|patient_number|patient_ref|client|client_id|client_no"
    rf"|client_ref|customer_id|customer_no|person|person_id|pupil|pupil_id|upn|student_id"
    rf"|resident_id|tenant_id|claimant_id|applicant_id|member_id|employee_id|staff_id|user_id"
    rf"|service_user|service_user_id|case_person_id|individual_id){_E}"
)
#: a key: digits, or hexadecimal groups (a UUID), eight characters or more, no spaces
KEY_VALUE = r"^(?=[^ ]*\d)[0-9A-Za-z][0-9A-Za-z_-]{5,63}$"
#: a clinical term with its SNOMED CT semantic tag ("Acute viral pharyngitis (disorder)")
CLINICAL_TAG_VALUE = (
    r"\((?:disorder|finding|clinical finding|morphologic abnormality|situation|procedure"
    r"|regime/therapy|observable entity)\)\s*$"
)
#: a compact date, year first ("19990219")
COMPACT_DATE_VALUE = r"^(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$"
BIRTH_HEADER = HEADER_QI["date_of_birth"]
DATE_HEADER = HEADER_QI["event_date"]
#: short words left lower case inside names of places and organisations
SMALL_WORDS: frozenset[str] = frozenset(
    ["of", "the", "and", "for", "in", "on", "at", "by", "to", "de", "la", "le", "du", "upon"]
)
#: headers of a person's own contact details (never an organisation's switchboard)
#: headers whose last word names an organisation or a service ("health_and_wellbeing_board",
#: "nhs_trust", "mental_health_service"): their values name a body, not a person's attribute
ORGANISATION_HEADER = (
    r"_(board|boards|trust|trusts|authority|provider|providers|team|ccg|icb|council|department"
    r"|organisation|organization|body|agency|partnership|practice|surgery|hospital|centre"
    r"|center|service|services|office|clinic)$"
)
PERSONAL_CONTACT_HEADER = (
    rf"{_B}(mobile|mobile_number|personal|home_phone|home_email|private|resident|tenant"
    rf"|client|patient|customer|caller|applicant|claimant|complainant|pupil|parent|carer"
    rf"|next_of_kin|nok|emergency_contact)"
)
ADDRESS_HEADER = rf"{_B}(address|addr|address_line_?\d*|street|street_address|home_address){_E}"

#: a capitalised name of 1-4 words (allowing O'Brien, Smith-Jones, initials)
NAME_SHAPE = (
    r"^[A-Z][A-Za-z'\u2019\-]*[.,]?"
    r"(?:\s+(?:[A-Z][A-Za-z'\u2019\-]*\.?|van|von|de|der|da|di|le|la|bin|al)){0,3}$"
)
NUMERIC_VALUE = r"^[-+]?(?:\d+(?:[.,]\d+)*|\.\d+)(?:[eE][-+]?\d+)?$"
AGE_VALUE = (
    r"^(?:\d{1,3}(?:\s*(?:-|to)\s*\d{1,3})?\+?|\d{1,3}\s*(?:and over|\+|plus)|under\s*\d{1,3})$"
)
AREA_CODE_VALUE = r"^[EWSN]0[0-9]\d{6}$"

_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
DATE_VALUE = (
    r"(?i)^(?:"
    r"\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?[ \-]{_MONTHS}[ \-,]+\d{{2,4}}"
    rf"|{_MONTHS}[ \-]\d{{1,2}}(?:st|nd|rd|th)?,?[ \-]\d{{4}}"
    rf"|{_MONTHS}[ \-]\d{{4}}"
    r"|\d{4}/\d{1,2}/\d{1,2}"
    r")$"
)
_ADDRESS_PREFIX = r"(?:(?:flat|apartment|apt|studio|unit|room)\s+\w+[,\s]+)?"
#: a street address with a common street suffix (enough on its own)
ADDRESS_VALUE = (
    rf"(?i)^{_ADDRESS_PREFIX}\d+[a-z]?(?:-\d+)?,?\s+[a-z'\- ]+\s(?:road|rd|street|st|avenue"
    r"|ave|lane|ln|close|drive|dr|way|court|ct|crescent|cres|place|pl|gardens|gdns|terrace"
    r"|grove|hill|row|walk|square|sq|mews|park|parade|rise|view|green|vale|meadows?|parks?)\b.*$"
)
#: house number plus capitalised words: an address only with an address header
ADDRESS_SHAPE = rf"(?is)^{_ADDRESS_PREFIX}\d+[a-z]?(?:-\d+)?,?\s+[A-Z][A-Za-z'\-]*(?:\s+\S+)*$"

VALUE_QI: dict[str, frozenset[str]] = {
    "sex": frozenset(
        {
            "m",
            "f",
            "male",
            "female",
            "man",
            "woman",
            "men",
            "women",
            "boy",
            "girl",
            "non-binary",
            "nonbinary",
            "non binary",
            "intersex",
            "transgender",
            "other",
            "unknown",
            "not known",
            "prefer not to say",
            "not stated",
            "x",
            "u",
        }
    ),
    "ethnicity": frozenset(
        {
            # ONS 2021 (England and Wales) categories, short and long forms
            "white",
            "white british",
            "white: english, welsh, scottish, northern irish or british",
            "english, welsh, scottish, northern irish or british",
            "white irish",
            "irish",
            "white: irish",
            "gypsy or irish traveller",
            "white: gypsy or irish traveller",
            "roma",
            "white: roma",
            "other white",
            "white: other white",
            "any other white background",
            "mixed",
            "mixed or multiple ethnic groups",
            "white and black caribbean",
            "mixed: white and black caribbean",
            "white and black african",
            "mixed: white and black african",
            "white and asian",
            "mixed: white and asian",
            "other mixed",
            "other mixed or multiple ethnic groups",
            "any other mixed background",
            "asian",
            "asian or asian british",
            "indian",
            "asian: indian",
            "pakistani",
            "asian: pakistani",
            "bangladeshi",
            "asian: bangladeshi",
            "chinese",
            "asian: chinese",
            "other asian",
            "asian: other asian",
            "any other asian background",
            "black",
            "black, black british, caribbean or african",
            "black british",
            "african",
            "black african",
            "black: african",
            "caribbean",
            "black caribbean",
            "black: caribbean",
            "other black",
            "black: other black",
            "any other black background",
            "arab",
            "other: arab",
            "other ethnic group",
            "any other ethnic group",
            "other: any other",
            "asian british",
            "black or black british",
        }
    ),
    "marital_status": frozenset(
        {
            "single",
            "married",
            "divorced",
            "widowed",
            "separated",
            "civil partnership",
            "in a civil partnership",
            "never married",
            "cohabiting",
            "dissolved civil partnership",
            "surviving civil partner",
            "married or in a civil partnership",
            "widow",
            "widower",
        }
    ),
}

VALUE_SENSITIVE: dict[str, frozenset[str]] = {
    "religion": frozenset(
        {
            "christian",
            "christianity",
            "muslim",
            "islam",
            "hindu",
            "hinduism",
            "sikh",
            "sikhism",
            "jewish",
            "judaism",
            "buddhist",
            "buddhism",
            "no religion",
            "none",
            "atheist",
            "agnostic",
            "other religion",
            "any other religion",
            "catholic",
            "roman catholic",
            "church of england",
            "anglican",
            "methodist",
            "baptist",
            "jain",
            "pagan",
            "religion not stated",
            "not stated",
        }
    ),
    "health": frozenset(
        {
            "diabetes",
            "type 1 diabetes",
            "type 2 diabetes",
            "asthma",
            "depression",
            "anxiety",
            "copd",
            "dementia",
            "alzheimer's",
            "alzheimers",
            "schizophrenia",
            "bipolar",
            "bipolar disorder",
            "cancer",
            "hypertension",
            "epilepsy",
            "stroke",
            "heart disease",
            "coronary heart disease",
            "heart failure",
            "arthritis",
            "hiv",
            "hepatitis c",
            "obesity",
            "ptsd",
            "autism",
            "adhd",
            "psychosis",
            "eating disorder",
            "anorexia",
            "self-harm",
            "self harm",
            "substance misuse",
            "alcohol dependence",
            "kidney disease",
            "chronic kidney disease",
            "multiple sclerosis",
            "parkinson's",
            "parkinsons",
            "covid-19",
            "tuberculosis",
            "learning disability",
            "mental health",
            # common conditions
            "long covid",
            "covid",
            "pneumonia",
            "sepsis",
            "influenza",
            "migraine",
            "chronic pain",
            "osteoporosis",
            "osteoarthritis",
            "rheumatoid arthritis",
            "motor neurone disease",
            "cerebral palsy",
            "down syndrome",
            "down's syndrome",
            "spina bifida",
            "sickle cell",
            "sickle cell disease",
            "cystic fibrosis",
            "brain injury",
            "acquired brain injury",
            "personality disorder",
            "ocd",
            "mental illness",
            "memory loss",
            "cognitive impairment",
            "incontinence",
            "dysphagia",
            "alcohol misuse",
            "drug misuse",
            "drug and alcohol",
            "substance use",
            "long-term condition",
            "long term condition",
            "hearing loss",
            "sight loss",
            # adult social care needs (primary support reasons and common care needs)
            "mobility",
            "frailty",
            "frail",
            "falls",
            "falls risk",
            "carer support",
            "personal care",
            "physical support",
            "sensory support",
            "memory and cognition",
            "support with memory and cognition",
            "mental health support",
            "learning disability support",
            "social support",
            "palliative care",
            "end of life",
            "end of life care",
            "nursing care",
            "respite care",
            "reablement",
        }
    ),
    "disability": frozenset(
        {
            "physical disability",
            "learning disability",
            "sensory impairment",
            "visual impairment",
            "hearing impairment",
            "mobility impairment",
            "wheelchair user",
            "blind",
            "deaf",
            "disabled",
            "not disabled",
            "autism spectrum",
            "autistic",
            "physical impairment",
            "multi-sensory impairment",
            "partially sighted",
            "hard of hearing",
            "learning difficulty",
            "moderate learning difficulty",
            "severe learning difficulty",
            "specific learning difficulty",
            "profound and multiple learning difficulty",
            "speech, language and communication needs",
            "social, emotional and mental health",
            "dyslexia",
            "dyspraxia",
            "sen support",
        }
    ),
    "benefit": frozenset(
        {
            "universal credit",
            "uc",
            "housing benefit",
            "pip",
            "personal independence payment",
            "esa",
            "employment and support allowance",
            "jsa",
            "jobseeker's allowance",
            "jobseekers allowance",
            "council tax reduction",
            "council tax support",
            "pension credit",
            "income support",
            "dla",
            "disability living allowance",
            "attendance allowance",
            "carer's allowance",
            "carers allowance",
            "child benefit",
            "free school meals",
            "discretionary housing payment",
        }
    ),
    "offence": frozenset(
        {
            "burglary",
            "assault",
            "theft",
            "robbery",
            "criminal damage",
            "arson",
            "shoplifting",
            "drugs",
            "drug possession",
            "possession of weapons",
            "public order",
            "violence against the person",
            "violence with injury",
            "violence without injury",
            "sexual offences",
            "stalking and harassment",
            "harassment",
            "fraud",
            "vehicle crime",
            "theft from the person",
            "bicycle theft",
            "anti-social behaviour",
            "criminal damage and arson",
            "other theft",
            "other crime",
            "murder",
            "manslaughter",
            "rape",
            "domestic burglary",
            "possession of drugs",
            "trafficking of drugs",
        }
    ),
    "sexuality": frozenset(
        {
            "heterosexual",
            "straight",
            "heterosexual or straight",
            "gay",
            "lesbian",
            "gay or lesbian",
            "bisexual",
            "asexual",
            "pansexual",
            "queer",
            "all other sexual orientations",
        }
    ),
}

#: free text: multi-word strings with a mean length over this many characters
FREE_TEXT_MEAN_CHARS = 25
FREE_TEXT_MULTIWORD_SHARE = 0.5


def is_free_text(mean_length: float, multiword_share: float) -> bool:
    """The free-text signal: long, mostly multi-word strings."""
    return mean_length > FREE_TEXT_MEAN_CHARS and multiword_share >= FREE_TEXT_MULTIWORD_SHARE


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _phraseset(text: str) -> frozenset[str]:
    """``|``-separated phrases, whitespace collapsed."""
    return frozenset(" ".join(p.split()) for p in text.split("|"))


#: common forenames in England and Wales (ONS baby-name lists, 1930s-2010s), lower case; a
#: name-list check for person names when no NER model confirms them
FORENAMES: frozenset[str] = _wordset(
    """
    aaron abdul abigail adam adrian agnes aidan aimee alan albert alex alexander alexandra
    alfie alfred alice alison amanda amber amelia amy andrea andrew angela ann anna anne
    annette anthony antony archie arthur ashley audrey ava barbara barry beatrice ben
    benjamin bernard beryl beth bethan bethany betty beverley bill billy brandon brenda
    brian bruce bryan callum cameron carl carol carole caroline carolyn catherine charlene
    charles charlie charlotte chelsea cheryl chloe christina christine christopher clare
    claire clifford clive colin connor conor craig dale damian damien daniel danielle
    darren david dawn dean debbie deborah declan denise dennis derek diana diane dominic
    donald donna doreen doris dorothy douglas duncan dylan edith edward eileen elaine
    eleanor elizabeth ella ellie elliot elliott elsie emily emma eric erin ethan eve evelyn
    evie fiona florence frances francesca francis frank frederick freya gail gareth gary
    gavin gemma geoffrey george georgia georgina gerald gillian glen glenn gordon grace
    graham gregory guy hannah harriet harry harvey hayley hazel heather helen henry hilary
    hollie holly howard hugh hugo iain ian imogen irene isaac isabel isabella isabelle isla
    ivy jack jackie jacob jacqueline jade jake james jamie jane janet janice jasmine jason
    jay jayden jean jemma jenna jennifer jeremy jessica jill joan joanna joanne jodie joe
    joel john jonathan jordan joseph josephine josh joshua joyce judith julia julian julie
    june justin karen karl kate katherine kathleen kathryn katie kayleigh keith kelly kenneth
    kerry kevin kieran kim kimberley kirsty kyle laura lauren lawrence leah lee leigh leon
    leonard lesley leslie lewis liam lily linda lindsey lisa logan louis louise lucy luke
    lydia lynda lynn lynne maisie malcolm mandy margaret maria marian marie marion mark
    marjorie martin martyn mary mason matilda matthew maureen max megan melanie melissa
    michael michelle mildred millie mohammed mohammad molly muhammad natalie natasha nathan
    neil nicholas nicola nigel noah norman oliver olivia oscar owen paige pamela patricia
    patrick paul paula pauline peter philip phillip phoebe poppy rachel raymond rebecca
    reece rhys richard rita robert robin roger ronald rose rosemary ross roy ruby russell
    ruth ryan sally samantha samuel sandra sara sarah scott sean shane shannon sharon
    sheila shirley sian simon sophia sophie stacey stanley stephanie stephen steven stewart
    stuart susan suzanne sylvia tanya teresa terence terry thomas tina toby tom tony tracey
    tracy trevor valerie vanessa victoria vincent violet wayne wendy william yvonne zoe
    abbie alexia alfie alisha amelie aled angus ashleigh bradley carly cerys chantelle
    ciara darryl dominique eilidh elliott finley gemma glenys gwen harley jordan josie
    kayla kirsten leanne lorraine mairi marcus marilyn morgan nia niamh rhian rory
    scarlett shaun stella tyler vera william zara timothy naomi rosie victor christian marc
    maurice nicole sam debra graeme allan katy rachael jeffrey geraldine ricky brett mathew
    mitchell
    """
)
#: honorifics that mark the following capitalised words as a person name
TITLES = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Lady|Lord|Rev|Revd)"
#: second words of Welsh county names after "Sir" (Welsh for shire: "Sir Fynwy" is
#: Monmouthshire, "Sir y Fflint" Flintshire; the Welsh Language Commissioner's list of
#: place names): the "Sir" of these is no knight's title
WELSH_SHIRES: frozenset[str] = _wordset(
    """
    ynys fôn fon gaerfyrddin gâr gar ddinbych y fynwy benfro drefaldwyn frycheiniog faesyfed
    feirionnydd forgannwg gaernarfon aberteifi
    """
)
#: last words of street names (a forename before one is a place: "Victoria Road"); words that
#: are also common surnames (Hill, Hall, Wood, Green) are left out
STREET_SUFFIXES: frozenset[str] = _wordset(
    """
    road rd street st avenue ave lane ln close drive dr way court ct crescent cres place pl
    gardens gdns terrace grove mews parade rise square sq walk quay promenade wharf
    """
)
#: last words of house names ("Rose Cottage", "Glen Mona Bungalow"), none of them a surname
HOUSE_WORDS: frozenset[str] = _wordset("cottage cottages bungalow farmhouse barn chalet")
#: land and water features after a place's own name ("Sulby Glen", "Elfin Glen"); first in a
#: span they may be a given name ("Glen Hoddle"); surnames among them (Woods) are left out
FEATURE_WORDS: frozenset[str] = _wordset("glen isle island valley cove")
#: building words that are also surnames ("Chambers", "Hall"): a building when the word
#: before is a place the same text names ("Douglas Chambers, North Quay, Douglas")
BUILDING_WORDS: frozenset[str] = _wordset("chambers house hall court buildings lodge mill tower")

#: last words of names of places and buildings ("Victoria Road", "Albert House")
PLACE_WORDS: frozenset[str] = (
    STREET_SUFFIXES
    | _wordset(
        """
    house hall school academy college centre center hospital surgery practice clinic church
    chapel library park station court estate building lodge farm manor tower towers bridge
    primary infants nursery university trail heritage pier palace
    """
    )
    | HOUSE_WORDS
)

#: generic names of public buildings and civic places ("the Town Hall", "the Civic Centre"):
#: in prose they name no one and reveal no private address, so they are not redacted as
#: LOCATION (a named building, "Albert House", still is); lower case, without "the"
PUBLIC_BUILDINGS: frozenset[str] = _phraseset(
    """
    town hall|city hall|county hall|guildhall|civic centre|civic center|council offices
    |council house|council chamber|council chambers|library|central library|town library
    |leisure centre|sports centre|community centre|customer service centre|contact centre
    |one stop shop|job centre|jobcentre|jobcentre plus|magistrates court|crown court
    |county court|register office|registry office|crematorium|cemetery|town centre
    |city centre|high street|market place|marketplace|bus station|railway station
    |train station|police station|fire station|ambulance station|recycling centre
    |household waste recycling centre|tip|depot|council depot|park and ride
    """
)

#: ratings and states of things, not of people: a column of these under an ambiguous header
#: ("condition": good/poor, "treatment": done/pending) is not special-category data
GENERIC_STATE_VALUES: frozenset[str] = _wordset(
    """
    good poor fair bad excellent average ok okay fine new used damaged broken working
    faulty fault failed pass fail passed satisfactory unsatisfactory acceptable unacceptable
    critical minor major low medium high moderate severe none n/a na serviceable
    unserviceable defective intact worn open closed pending done complete completed
    calibrating active inactive
    """
)

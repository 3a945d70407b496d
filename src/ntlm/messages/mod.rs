//! NTLM messages (MS-NLMP 2.2).

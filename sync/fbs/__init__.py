"""FBS (Fælles Bibliotekssystem), the Danish public libraries' common LMS: SIP2 wrapped in XML and
POSTed over HTTPS, with field conventions of its own."""
